-- 0006: following the ledger (SPEC §8).
--
-- * Webhooks: the projection of webhook_added / webhook_removed (name, URL, types), replayed like
--   every projection; and, apart from the log, what delivery needs: each webhook's signing secret
--   (never in an event) and its cursor, the last position delivered with a 2xx.
-- * The restart queue as of any point: pending-revocation intervals through a partial index.
-- * Appending transactions NOTIFY accessledger_events with the new head, so followers wake at
--   commit (no table here: NOTIFY needs none).

CREATE TABLE webhooks (
    key   text   PRIMARY KEY,
    name  text   NOT NULL,
    url   text   NOT NULL,
    types text[] NOT NULL
);

CREATE TABLE webhook_delivery (
    key             text        PRIMARY KEY,
    added_position  bigint      NOT NULL,
    secret          text        NOT NULL,
    position        bigint      NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    last_attempt_at timestamptz,
    delivered_at    timestamptz
);

CREATE INDEX access_history_held_idx ON access_history (from_position) WHERE held_role IS NOT NULL;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'accessledger_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks TO accessledger_app;
        GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_delivery TO accessledger_app;
    END IF;
END
$$;
