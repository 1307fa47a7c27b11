-- Sign-ins under way (the few minutes between leaving for the identity
-- provider and coming back), so that the answer may reach any instance.
CREATE TABLE app_signins (
    hash    text PRIMARY KEY,
    expires timestamptz NOT NULL,
    record  jsonb NOT NULL
);
