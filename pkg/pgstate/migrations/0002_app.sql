-- The web app's store (importer serve --store), shared by its instances:
-- batches with every version, decisions and purchases; the audit log;
-- API tokens and sessions, each kept as the SHA-256 of its secret.
CREATE TABLE app_batches (
    id      text PRIMARY KEY,
    name    text NOT NULL UNIQUE,
    created timestamptz NOT NULL,
    record  jsonb NOT NULL
);

CREATE TABLE app_audit (
    seq    bigserial PRIMARY KEY,
    record jsonb NOT NULL
);

CREATE TABLE app_tokens (
    name   text PRIMARY KEY,
    hash   text NOT NULL UNIQUE,
    record jsonb NOT NULL
);

CREATE TABLE app_sessions (
    hash    text PRIMARY KEY,
    expires timestamptz NOT NULL,
    record  jsonb NOT NULL
);
