-- 0002: projections. Derived from ledger_events by AccessModel's Projection code (the same code
-- replay runs), updated in the same transaction as each append. Rebuildable at any time.

CREATE TABLE users (
    key      text PRIMARY KEY,
    username text NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('human', 'service_account')),
    role     text NOT NULL CHECK (role IN ('owner', 'user-admin', 'auditor', 'member')),
    status   text NOT NULL CHECK (status IN ('active', 'suspended', 'deleted'))
);
CREATE INDEX users_active_idx ON users (key) WHERE status = 'active';

CREATE TABLE groups (
    key        text PRIMARY KEY,
    name       text NOT NULL,
    source     text NOT NULL CHECK (source IN ('manual', 'idp')),
    is_deleted boolean NOT NULL DEFAULT false
);

CREATE TABLE group_members (
    group_key text NOT NULL,
    user_key  text NOT NULL,
    PRIMARY KEY (group_key, user_key)
);
CREATE INDEX group_members_user_idx ON group_members (user_key, group_key);

CREATE TABLE workspaces (
    id        bigint PRIMARY KEY,
    owner     text NOT NULL,
    owner_key text NOT NULL,
    name      text NOT NULL,
    name_key  text NOT NULL,
    template  text NOT NULL,
    status    text NOT NULL CHECK (status IN ('running', 'stopped', 'deleted'))
);
-- A name belongs to at most one live workspace; deleted ones free it.
CREATE UNIQUE INDEX workspaces_live_name_idx ON workspaces (owner_key, name_key) WHERE status <> 'deleted';
CREATE INDEX workspaces_status_idx ON workspaces (status, owner_key, name_key) WHERE status <> 'deleted';

CREATE TABLE workspace_user_acl (
    workspace_id bigint NOT NULL,
    user_key     text   NOT NULL,
    username     text   NOT NULL,
    role         text   NOT NULL CHECK (role IN ('use', 'admin')),
    PRIMARY KEY (workspace_id, user_key)
);
CREATE INDEX workspace_user_acl_user_idx ON workspace_user_acl (user_key, workspace_id);

CREATE TABLE workspace_group_acl (
    workspace_id bigint NOT NULL,
    group_key    text   NOT NULL,
    name         text   NOT NULL,
    role         text   NOT NULL CHECK (role IN ('use', 'admin')),
    PRIMARY KEY (workspace_id, group_key)
);
CREATE INDEX workspace_group_acl_group_idx ON workspace_group_acl (group_key, workspace_id);

-- Who can reach a workspace now, and through what (SPEC §3). A row exists while the role or
-- the live role is not none.
CREATE TABLE access (
    workspace_id bigint NOT NULL,
    user_key     text   NOT NULL,
    username     text   NOT NULL,
    role         text   CHECK (role IN ('use', 'admin')),
    live_role    text   CHECK (live_role IN ('use', 'admin')),
    via          text[] NOT NULL,
    state        text   NOT NULL CHECK (state IN ('active', 'pending_revocation')),
    PRIMARY KEY (workspace_id, user_key)
);
CREATE INDEX access_user_idx ON access (user_key, workspace_id) WHERE role IS NOT NULL;
CREATE INDEX access_pending_idx ON access (workspace_id) WHERE state = 'pending_revocation';

CREATE TABLE tokens (
    user_key         text        NOT NULL,
    name_key         text        NOT NULL,
    username         text        NOT NULL,
    name             text        NOT NULL,
    lifetime_seconds bigint      NOT NULL,
    secret_sha256    text        NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    revoked_at       timestamptz,
    PRIMARY KEY (user_key, name_key)
);

-- The position the projections have applied up to.
CREATE TABLE projection_state (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    position bigint  NOT NULL
);
INSERT INTO projection_state VALUES (true, 0);

-- audit log --user: events whose payload names a user (shares, unshares, memberships).
CREATE INDEX ledger_events_data_idx ON ledger_events USING gin (data jsonb_path_ops);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'accessledger_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON users, groups, group_members, workspaces, workspace_user_acl,
            workspace_group_acl, access, tokens, projection_state TO accessledger_app;
    END IF;
END
$$;
