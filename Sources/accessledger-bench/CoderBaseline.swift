import PostgresClient

/// Coder's way of storing sharing, loaded with the same final state as the ledger: a
/// `workspaces` table whose `user_acl` and `group_acl` are jsonb maps from user or group id to
/// `{"permissions": [...]}`, soft-deleted rows, and searches that filter with `user_acl ? id`.
///
/// Coder's schema has no index on the ACL columns (its workspace indexes are on owner and
/// lowercased name, template and next start), so `workspaces` is loaded as shipped; the same
/// rows are also loaded into `workspaces_gin`, which adds GIN indexes on both maps — the best
/// that storage can do. Each query takes the round trips Coder's handlers take (resolve the
/// name to an id, then filter), without Coder's authorisation filter or build status joins.
struct CoderBaseline {
    /// The two tables the queries run against.
    enum Table: String, CaseIterable {
        case asShipped = "workspaces"
        case gin = "workspaces_gin"

        /// The baseline's name in the report.
        var baselineName: String { self == .asShipped ? "coder_jsonb" : "coder_jsonb_gin" }
    }

    /// The id of Coder's built-in `Everyone` group (in Coder: the organisation's id).
    static let everyoneID = "00000000-0000-4000-8000-000000000001"

    let connection: Connection

    // MARK: Loading

    /// Creates the tables and loads them with `state`.
    static func load(_ state: FinalState, into connection: Connection, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed ^ 0xC0DE_C0DE)
        var userIDs: [String: String] = [:]
        for user in state.users { userIDs[user.key] = uuid(&rng) }
        var groupIDs: [String: String] = ["everyone": everyoneID]
        for group in state.groups { groupIDs[group.key] = uuid(&rng) }
        try connection.execute(
            script: """
                CREATE TABLE users (
                    id uuid PRIMARY KEY, username text NOT NULL, status text NOT NULL,
                    deleted boolean NOT NULL DEFAULT false);
                CREATE UNIQUE INDEX users_username_lower_idx ON users (lower(username)) WHERE deleted = false;
                CREATE TABLE groups (id uuid PRIMARY KEY, name text NOT NULL);
                CREATE UNIQUE INDEX groups_name_lower_idx ON groups (lower(name));
                CREATE TABLE group_members (user_id uuid NOT NULL, group_id uuid NOT NULL, UNIQUE (user_id, group_id));
                CREATE INDEX group_members_group_idx ON group_members (group_id);
                """)
        for table in Table.allCases {
            try connection.execute(
                script: """
                    CREATE TABLE \(table.rawValue) (
                        id uuid PRIMARY KEY, owner_id uuid NOT NULL, name text NOT NULL, template text NOT NULL,
                        status text NOT NULL, deleted boolean NOT NULL DEFAULT false,
                        user_acl jsonb NOT NULL DEFAULT '{}'::jsonb, group_acl jsonb NOT NULL DEFAULT '{}'::jsonb,
                        CONSTRAINT \(table.rawValue)_user_acl_is_object CHECK (jsonb_typeof(user_acl) = 'object'),
                        CONSTRAINT \(table.rawValue)_group_acl_is_object CHECK (jsonb_typeof(group_acl) = 'object'));
                    CREATE UNIQUE INDEX \(table.rawValue)_owner_id_lower_idx ON \(table.rawValue) (owner_id, lower(name))
                        WHERE deleted = false;
                    CREATE INDEX \(table.rawValue)_template_idx ON \(table.rawValue) (template) WHERE deleted = false;
                    """)
        }
        try connection.copyIn(
            "COPY users (id, username, status, deleted) FROM STDIN",
            rows: state.users.compactMap { user in
                userIDs[user.key].map { [$0, user.username, user.status, user.status == "deleted" ? "t" : "f"] }
            })
        try connection.copyIn(
            "COPY groups (id, name) FROM STDIN",
            rows: [[everyoneID, "Everyone"]]
                + state.groups.compactMap { group in groupIDs[group.key].map { [$0, group.name] } })
        try connection.copyIn(
            "COPY group_members (user_id, group_id) FROM STDIN",
            rows: state.members.compactMap { member in
                guard let user = userIDs[member.userKey], let group = groupIDs[member.groupKey] else { return nil }
                return [user, group]
            })
        var rows: [[String?]] = []
        for workspace in state.workspaces {
            guard let owner = userIDs[workspace.ownerKey] else { continue }
            let userACL = aclJSON(workspace.users.compactMap { entry in userIDs[entry.key].map { ($0, entry.role) } })
            let groupACL = aclJSON(
                workspace.groups.compactMap { entry in groupIDs[entry.key].map { ($0, entry.role) } })
            rows.append([
                uuid(&rng), owner, workspace.name, workspace.template,
                workspace.status == "deleted" ? "stopped" : workspace.status,
                workspace.status == "deleted" ? "t" : "f", userACL, groupACL,
            ])
        }
        for table in Table.allCases {
            try connection.copyIn(
                "COPY \(table.rawValue) (id, owner_id, name, template, status, deleted, user_acl, group_acl) FROM STDIN",
                rows: rows)
        }
        try connection.execute(
            script: """
                CREATE INDEX workspaces_gin_user_acl_idx ON workspaces_gin USING gin (user_acl);
                CREATE INDEX workspaces_gin_group_acl_idx ON workspaces_gin USING gin (group_acl);
                """)
        try connection.query("VACUUM ANALYZE")
    }

    /// Coder's permission lists for our two roles.
    static func permissions(_ role: String) -> [String] {
        let use = ["read", "ssh", "application_connect", "start", "stop"]
        return role == "admin" ? use + ["update", "share", "create_agent", "delete_agent"] : use
    }

    static func aclJSON(_ entries: [(id: String, role: String)]) -> String {
        "{"
            + entries.map { entry in
                "\"\(entry.id)\": {\"permissions\": ["
                    + permissions(entry.role).map { "\"\($0)\"" }.joined(separator: ", ")
                    + "]}"
            }.joined(separator: ", ") + "}"
    }

    static func uuid(_ rng: inout SplitMix64) -> String {
        let high = rng.next()
        let low = rng.next()
        let hex = String(high, radix: 16).leftPadded(to: 16) + String(low, radix: 16).leftPadded(to: 16)
        let digits = Array(hex)
        return String(digits[0..<8]) + "-" + String(digits[8..<12]) + "-4" + String(digits[13..<16]) + "-8"
            + String(digits[17..<20]) + "-" + String(digits[20..<32])
    }

    // MARK: Queries

    /// What Coder's workspace ACL endpoint reads: the workspace by owner and name, then its
    /// users and its groups with their active member counts. Returns the number of entries.
    @discardableResult
    func sharingStatus(owner: String, name: String, table: Table) throws -> Int {
        guard
            let workspace = try connection.query(
                """
                SELECT w.id, w.user_acl::text, w.group_acl::text
                FROM \(table.rawValue) w JOIN users o ON o.id = w.owner_id
                WHERE lower(o.username) = lower($1) AND NOT o.deleted AND lower(w.name) = lower($2) AND NOT w.deleted
                """, [owner, name]
            ).first
        else { throw BenchError("coder baseline: no workspace \(owner)/\(name)") }
        let users = try connection.query(
            """
            SELECT u.id, u.username, e.value FROM jsonb_each($1::jsonb) e JOIN users u ON u.id = e.key::uuid
            ORDER BY lower(u.username)
            """, [PostgresText(workspace[1])])
        let groups = try connection.query(
            """
            SELECT g.id, g.name, e.value,
                   CASE WHEN g.id = $2::uuid
                        THEN (SELECT count(*) FROM users WHERE status = 'active' AND NOT deleted)
                        ELSE (SELECT count(*) FROM group_members m JOIN users u ON u.id = m.user_id
                              WHERE m.group_id = g.id AND u.status = 'active') END
            FROM jsonb_each($1::jsonb) e JOIN groups g ON g.id = e.key::uuid
            ORDER BY lower(g.name)
            """, [PostgresText(workspace[2]), CoderBaseline.everyoneID])
        return users.rows.count + groups.rows.count
    }

    /// `shared_with_user:NAME`: resolve the user, then `user_acl ? id`. Returns the rows.
    @discardableResult
    func sharedWithUser(_ username: String, table: Table) throws -> Int {
        guard
            let id = try connection.query(
                "SELECT id FROM users WHERE lower(username) = lower($1) AND NOT deleted", [username]
            ).first?.string(0)
        else { throw BenchError("coder baseline: no user \(username)") }
        return try list(table, "w.user_acl ? $1", [id])
    }

    /// `shared_with_group:NAME`: resolve the group, then `group_acl ? id`.
    @discardableResult
    func sharedWithGroup(_ name: String, table: Table) throws -> Int {
        guard
            let id = try connection.query("SELECT id FROM groups WHERE lower(name) = lower($1)", [name]).first?
                .string(0)
        else { throw BenchError("coder baseline: no group \(name)") }
        return try list(table, "w.group_acl ? $1", [id])
    }

    /// `has_access:NAME`: resolve the user and their groups, then `user_acl ? id OR group_acl
    /// ?| (their groups and Everyone)`.
    @discardableResult
    func hasAccess(_ username: String, table: Table) throws -> Int {
        guard
            let row = try connection.query(
                """
                SELECT u.id, array(SELECT m.group_id::text FROM group_members m WHERE m.user_id = u.id)::text
                FROM users u WHERE lower(u.username) = lower($1) AND NOT u.deleted
                """, [username]
            ).first
        else { throw BenchError("coder baseline: no user \(username)") }
        let id = try row.string(0)
        var groups = try row.string(1)
        groups =
            groups == "{}"
            ? "{\(CoderBaseline.everyoneID)}" : String(groups.dropLast()) + ",\(CoderBaseline.everyoneID)}"
        return try list(
            table, "w.owner_id::text <> $1 AND (w.user_acl ? $1 OR w.group_acl ?| $2::text[])",
            [id, PostgresText(groups)])
    }

    private func list(_ table: Table, _ condition: String, _ parameters: [any PostgresBindable]) throws -> Int {
        try connection.query(
            """
            SELECT w.id, o.username, w.name, w.template, w.status, (w.user_acl <> '{}'::jsonb OR w.group_acl <> '{}'::jsonb)
            FROM \(table.rawValue) w JOIN users o ON o.id = w.owner_id
            WHERE NOT w.deleted AND \(condition)
            ORDER BY lower(o.username), lower(w.name)
            """, parameters
        ).rows.count
    }
}
