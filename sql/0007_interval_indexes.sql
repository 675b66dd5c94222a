-- 0007: as-of reads whose cost does not grow with the log.
--
-- A lookup at position P wants the intervals containing P (from_position <= P < to_position, an
-- open interval never ending). Through a btree leading with (key, from_position) it visits
-- every interval of the key that began before P, and the intervals of a long-lived key only
-- grow. So:
--
-- * Single-valued histories (a user, a group, a workspace, one user's access row on one
--   workspace) keep their btree primary keys, read backwards: the last interval of the key
--   beginning at or before P, then whether it has ended (ORDER BY from_position DESC LIMIT 1).
-- * Multi-valued ones (the members of a group, the groups of a user, a workspace's ACL entries
--   and access rows, a user's or group's ACL entries and a user's access rows, everyone active,
--   every live workspace, everyone pending) get GiST indexes on (key, int8range(from_position,
--   to_position)) with btree_gist, queried with `int8range(…) @> P`: they visit only intervals
--   whose span contains P. Text keys go in as hashtext(key), an integer (much cheaper to build
--   than text keys; queries recheck the key itself).
--
-- The btree indexes these replace are dropped. btree_gist ships with PostgreSQL (contrib) and is
-- a trusted extension: the database owner may create it.

CREATE EXTENSION IF NOT EXISTS btree_gist;

DROP INDEX user_history_active_idx;
DROP INDEX user_history_from_idx;
CREATE INDEX user_history_during_idx ON user_history USING gist (int8range(from_position, to_position));

DROP INDEX member_history_user_idx;
CREATE INDEX member_history_group_during_idx ON member_history
    USING gist (hashtext(group_key), int8range(from_position, to_position));
CREATE INDEX member_history_user_during_idx ON member_history
    USING gist (hashtext(user_key), int8range(from_position, to_position));

DROP INDEX workspace_history_name_idx;
CREATE INDEX workspace_history_name_idx ON workspace_history (owner_key, name_key, from_position)
    WHERE status <> 'deleted';
CREATE INDEX workspace_history_live_during_idx ON workspace_history
    USING gist (int8range(from_position, to_position)) WHERE status <> 'deleted';

DROP INDEX acl_history_entry_idx;
CREATE INDEX acl_history_workspace_during_idx ON acl_history
    USING gist (workspace_id, int8range(from_position, to_position));
CREATE INDEX acl_history_entry_during_idx ON acl_history
    USING gist (hashtext(key), int8range(from_position, to_position));

DROP INDEX access_history_user_idx;
DROP INDEX access_history_held_idx;
CREATE INDEX access_history_workspace_during_idx ON access_history
    USING gist (workspace_id, int8range(from_position, to_position));
CREATE INDEX access_history_user_during_idx ON access_history
    USING gist (hashtext(user_key), int8range(from_position, to_position));
CREATE INDEX access_history_held_during_idx ON access_history
    USING gist (int8range(from_position, to_position)) WHERE held_role IS NOT NULL;
