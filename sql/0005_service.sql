-- 0005: the HTTP service (SPEC §7).
--
-- * The API token that authorised an event, as USER/TOKEN (NULL for the CLI's events). It is
--   covered by the hash: events with a token are hashed with canonical encoding version 2,
--   which adds "token" (README, "The hash, byte for byte").
-- * Tokens are looked up by the SHA-256 of their secret, through an index.
-- * Idempotency keys: the first answer to a mutation, replayed when the same token sends the same
--   key and body again within 24 hours.

ALTER TABLE ledger_events ADD COLUMN token text CHECK (token <> '');
CREATE INDEX ledger_events_token_idx ON ledger_events (lower(token), position) WHERE token IS NOT NULL;

CREATE INDEX tokens_secret_idx ON tokens (secret_sha256);

CREATE TABLE idempotency_keys (
    token_key      text        NOT NULL,
    key            text        NOT NULL,
    request_sha256 text        NOT NULL,
    status         integer     NOT NULL,
    body           text        NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (token_key, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'accessledger_app') THEN
        GRANT SELECT, INSERT, DELETE ON idempotency_keys TO accessledger_app;
        -- /readyz checks the schema's version as the service runs.
        GRANT SELECT ON ledger_migrations TO accessledger_app;
    END IF;
END
$$;
