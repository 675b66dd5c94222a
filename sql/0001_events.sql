-- 0001: the event log. Append-only, hash-chained, gap-free positions 1..N.
--
-- Positions are not handed out by a sequence (a rolled-back transaction would leave a hole):
-- appenders serialise on a transaction-scoped advisory lock, read the head, and insert
-- head+1, head+2, ... in the same transaction. The insert trigger below re-checks, inside the
-- database, that every new row continues the chain exactly.

CREATE TABLE ledger_events (
    position       bigint      NOT NULL CHECK (position > 0),
    stream         text        NOT NULL CHECK (stream <> ''),
    stream_version bigint      NOT NULL CHECK (stream_version > 0),
    type           text        NOT NULL CHECK (type ~ '^[a-z][a-z_]*$'),
    data           jsonb       NOT NULL,
    actor          text        NOT NULL,
    reason         text,
    occurred_at    timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL,
    previous_hash  bytea       NOT NULL CHECK (length(previous_hash) = 32),
    hash           bytea       NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT ledger_events_pkey PRIMARY KEY (position),
    CONSTRAINT ledger_events_stream_version_key UNIQUE (stream, stream_version)
);

CREATE INDEX ledger_events_occurred_at_idx ON ledger_events (occurred_at);
CREATE INDEX ledger_events_actor_idx ON ledger_events (lower(actor), position);
CREATE INDEX ledger_events_type_idx ON ledger_events (type, position);

-- Every new row must continue the chain: position = previous + 1, previous_hash = the previous
-- row's hash, occurred_at never earlier than the previous row's, recorded_at the real clock of
-- this transaction (not something a client made up).
CREATE FUNCTION ledger_events_check_append() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    previous record;
BEGIN
    IF NEW.recorded_at < transaction_timestamp() - interval '1 second'
       OR NEW.recorded_at > clock_timestamp() + interval '1 second' THEN
        RAISE EXCEPTION 'recorded_at % is not the time of this transaction', NEW.recorded_at
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.occurred_at > NEW.recorded_at THEN
        RAISE EXCEPTION 'occurred_at % is later than recorded_at %', NEW.occurred_at, NEW.recorded_at
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.position = 1 THEN
        IF NEW.previous_hash <> '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea THEN
            RAISE EXCEPTION 'the first event must chain from 32 zero bytes' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    SELECT e.hash, e.occurred_at INTO previous FROM ledger_events e WHERE e.position = NEW.position - 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'position % would leave a gap in the log', NEW.position USING ERRCODE = 'check_violation';
    END IF;
    IF previous.hash <> NEW.previous_hash THEN
        RAISE EXCEPTION 'position % does not chain from the hash of position %', NEW.position, NEW.position - 1
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.occurred_at < previous.occurred_at THEN
        RAISE EXCEPTION 'occurred_at % is earlier than the previous event''s %', NEW.occurred_at, previous.occurred_at
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION ledger_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_events is append-only: % is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege', HINT = 'Corrections are new events.';
END
$$;

CREATE TRIGGER ledger_events_check_append BEFORE INSERT ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION ledger_events_check_append();
CREATE TRIGGER ledger_events_refuse_update_delete BEFORE UPDATE OR DELETE ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION ledger_events_refuse_change();
CREATE TRIGGER ledger_events_refuse_truncate BEFORE TRUNCATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_events_refuse_change();

-- ENABLE ALWAYS: the triggers fire under session_replication_role = replica too.
ALTER TABLE ledger_events ENABLE ALWAYS TRIGGER ledger_events_check_append;
ALTER TABLE ledger_events ENABLE ALWAYS TRIGGER ledger_events_refuse_update_delete;
ALTER TABLE ledger_events ENABLE ALWAYS TRIGGER ledger_events_refuse_truncate;

-- The application role: may read and append the log, nothing else. Created only where the
-- migrating role may create roles; commands then run under it (SET ROLE).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
        BEGIN
            CREATE ROLE accessledger_app NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- another database of this cluster (or a concurrent migration) created it
        END;
        BEGIN
            EXECUTE format('GRANT accessledger_app TO %I', current_user);
        EXCEPTION WHEN unique_violation OR object_not_in_prerequisite_state THEN
            NULL; -- granted concurrently
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'accessledger_app') THEN
        GRANT USAGE ON SCHEMA public TO accessledger_app;
        GRANT SELECT, INSERT ON ledger_events TO accessledger_app;
    END IF;
END
$$;
