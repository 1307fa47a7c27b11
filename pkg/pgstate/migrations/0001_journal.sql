-- The submit journal: what was sent to Partner Center and what came back,
-- shared by every host that buys from this database.
CREATE TABLE journal_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE journal_attempts (
    batch   text NOT NULL,
    id      text NOT NULL,
    record  jsonb NOT NULL,
    updated timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch, id)
);

CREATE TABLE journal_rows (
    batch   text NOT NULL,
    row_key text NOT NULL,
    record  jsonb NOT NULL,
    PRIMARY KEY (batch, row_key)
);

-- A batch is sent by one run at a time: the run holding its lease. token
-- grows with every new holder, and every write checks it (fencing), so a
-- run whose lease was taken over can record, and so send, nothing more.
CREATE TABLE journal_leases (
    batch   text PRIMARY KEY,
    token   bigint NOT NULL,
    holder  text NOT NULL,
    expires timestamptz NOT NULL
);
