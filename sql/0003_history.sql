-- 0003: temporal projections. For each projected entity, the intervals during which its values
-- held: from the event that began them (from_position) to the event that ended them
-- (to_position, NULL while current). They answer --at / --at-position and audit history without
-- replaying the log: a lookup at position P asks for from_position <= P < to_position.

CREATE TABLE user_history (
    key           text        NOT NULL,
    username      text        NOT NULL,
    kind          text        NOT NULL,
    role          text        NOT NULL,
    status        text        NOT NULL,
    from_position bigint      NOT NULL,
    from_time     timestamptz NOT NULL,
    to_position   bigint,
    to_time       timestamptz,
    PRIMARY KEY (key, from_position)
);
CREATE INDEX user_history_open_idx ON user_history (key) WHERE to_position IS NULL;
CREATE INDEX user_history_active_idx ON user_history (from_position, to_position) WHERE status = 'active';
CREATE INDEX user_history_from_idx ON user_history (from_position);

CREATE TABLE group_history (
    key           text        NOT NULL,
    name          text        NOT NULL,
    is_deleted    boolean     NOT NULL,
    from_position bigint      NOT NULL,
    from_time     timestamptz NOT NULL,
    to_position   bigint,
    to_time       timestamptz,
    PRIMARY KEY (key, from_position)
);
CREATE INDEX group_history_open_idx ON group_history (key) WHERE to_position IS NULL;

CREATE TABLE member_history (
    group_key     text        NOT NULL,
    user_key      text        NOT NULL,
    from_position bigint      NOT NULL,
    from_time     timestamptz NOT NULL,
    to_position   bigint,
    to_time       timestamptz,
    PRIMARY KEY (group_key, user_key, from_position)
);
CREATE INDEX member_history_open_idx ON member_history (group_key, user_key) WHERE to_position IS NULL;
CREATE INDEX member_history_user_idx ON member_history (user_key, from_position);

CREATE TABLE workspace_history (
    id            bigint      NOT NULL,
    owner         text        NOT NULL,
    owner_key     text        NOT NULL,
    name          text        NOT NULL,
    name_key      text        NOT NULL,
    template      text        NOT NULL,
    status        text        NOT NULL,
    from_position bigint      NOT NULL,
    from_time     timestamptz NOT NULL,
    to_position   bigint,
    to_time       timestamptz,
    PRIMARY KEY (id, from_position)
);
CREATE INDEX workspace_history_open_idx ON workspace_history (id) WHERE to_position IS NULL;
CREATE INDEX workspace_history_name_idx ON workspace_history (owner_key, name_key, from_position);

CREATE TABLE acl_history (
    workspace_id  bigint      NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('user', 'group')),
    key           text        NOT NULL,
    name          text        NOT NULL,
    role          text        NOT NULL,
    from_position bigint      NOT NULL,
    from_time     timestamptz NOT NULL,
    to_position   bigint,
    to_time       timestamptz,
    PRIMARY KEY (workspace_id, kind, key, from_position)
);
CREATE INDEX acl_history_open_idx ON acl_history (workspace_id, kind, key) WHERE to_position IS NULL;
CREATE INDEX acl_history_entry_idx ON acl_history (kind, key, from_position);

-- One interval per constant (role, live_role, state, via) of an access row (SPEC §3).
CREATE TABLE access_history (
    workspace_id  bigint      NOT NULL,
    user_key      text        NOT NULL,
    username      text        NOT NULL,
    role          text,
    live_role     text,
    via           text[]      NOT NULL,
    state         text        NOT NULL,
    from_position bigint      NOT NULL,
    from_time     timestamptz NOT NULL,
    to_position   bigint,
    to_time       timestamptz,
    PRIMARY KEY (workspace_id, user_key, from_position)
);
CREATE INDEX access_history_open_idx ON access_history (workspace_id, user_key) WHERE to_position IS NULL;
CREATE INDEX access_history_user_idx ON access_history (user_key, from_position);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'accessledger_app') THEN
        GRANT SELECT, INSERT, UPDATE ON user_history, group_history, member_history, workspace_history,
            acl_history, access_history TO accessledger_app;
    END IF;
END
$$;
