-- 0004: access rows keep the live role only while it is above the effective role.
--
-- On a running workspace the live role equals the effective role unless a revocation is
-- pending; on a stopped one it is none. So `access` and `access_history` now keep `held_role`
-- (the live role while pending revocation, else NULL) instead of `live_role` and `state`, and
-- readers derive both from the workspace's status (AccessRow.init(…heldRole:…running:)). A
-- start, stop or restart then rewrites only the pending rows instead of one row per user with
-- access, which had made access_history about nine rows per event.

ALTER TABLE access ADD COLUMN held_role text CHECK (held_role IN ('use', 'admin'));
UPDATE access SET held_role = live_role WHERE state = 'pending_revocation';
DROP INDEX access_pending_idx;
ALTER TABLE access DROP COLUMN live_role, DROP COLUMN state;
CREATE INDEX access_pending_idx ON access (workspace_id) WHERE held_role IS NOT NULL;

ALTER TABLE access_history ADD COLUMN held_role text;
UPDATE access_history SET held_role = live_role WHERE state = 'pending_revocation';
ALTER TABLE access_history DROP COLUMN live_role, DROP COLUMN state;

-- Intervals that only a start or stop had split now hold the same values: merge each run of
-- adjacent equal intervals of one (workspace, user) into its first row.
WITH marked AS (
    SELECT workspace_id, user_key, from_position, to_position, to_time,
           CASE WHEN lag(to_position) OVER w = from_position
                     AND lag(username) OVER w = username
                     AND lag(role) OVER w IS NOT DISTINCT FROM role
                     AND lag(held_role) OVER w IS NOT DISTINCT FROM held_role
                     AND lag(via) OVER w = via
                THEN 0 ELSE 1 END AS starts_run
    FROM access_history
    WINDOW w AS (PARTITION BY workspace_id, user_key ORDER BY from_position)
), numbered AS (
    SELECT *, sum(starts_run) OVER (PARTITION BY workspace_id, user_key ORDER BY from_position) AS run
    FROM marked
), runs AS (
    SELECT workspace_id, user_key, min(from_position) AS first_from, max(from_position) AS last_from,
           (array_agg(to_position ORDER BY from_position DESC))[1] AS last_to,
           (array_agg(to_time ORDER BY from_position DESC))[1] AS last_to_time
    FROM numbered
    GROUP BY workspace_id, user_key, run
    HAVING count(*) > 1
), merged AS (
    DELETE FROM access_history h
    USING runs r
    WHERE h.workspace_id = r.workspace_id AND h.user_key = r.user_key
      AND h.from_position > r.first_from AND h.from_position <= r.last_from
)
UPDATE access_history h
SET to_position = r.last_to, to_time = r.last_to_time
FROM runs r
WHERE h.workspace_id = r.workspace_id AND h.user_key = r.user_key AND h.from_position = r.first_from;
