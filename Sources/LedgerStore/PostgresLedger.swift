import AccessModel
import PostgresClient

/// The projection tables of `sql/0002_projections.sql` behind AccessModel's ``LedgerWriter``:
/// the live path runs the same ``Rules`` and ``Projection`` code against this as replay runs
/// against ``InMemoryLedger``. Every method is one indexed, parameterised statement. The
/// temporal tables are written by ``HistoryTrackingLedger`` around it.
public struct PostgresLedger: LedgerWriter {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    // MARK: Decoding helpers

    static func enumValue<T: RawRepresentable>(_ row: Row, _ index: Int, as type: T.Type) throws -> T
    where T.RawValue == String {
        let text = try row.string(index)
        guard let value = T(rawValue: text) else {
            throw LedgerError.internal("unexpected \(T.self) value \"\(text)\" in the projections")
        }
        return value
    }

    static func optionalRole(_ row: Row, _ index: Int) throws -> WorkspaceRole? {
        guard row[index] != nil else { return nil }
        return try enumValue(row, index, as: WorkspaceRole.self)
    }

    /// Parses a `text[]` in PostgreSQL's output format. Elements here are `user` and
    /// `group:NAME` (names are `[A-Za-z0-9-]`), so they are never quoted.
    static func textArray(_ text: String) -> [String] {
        let inner = text.dropFirst().dropLast()
        guard !inner.isEmpty else { return [] }
        return inner.split(separator: ",").map { String($0).replacingQuotes() }
    }

    static let userColumns = "username, kind, role, status"
    static func user(_ row: Row) throws -> UserRecord {
        UserRecord(
            username: try row.string(0), kind: try enumValue(row, 1, as: UserKind.self),
            role: try enumValue(row, 2, as: SiteRole.self), status: try enumValue(row, 3, as: UserStatus.self))
    }

    static let workspaceColumns = "id, owner, name, template, status"
    static func workspace(_ row: Row) throws -> WorkspaceRecord {
        WorkspaceRecord(
            id: try row.int64(0), owner: try row.string(1), name: try row.string(2), template: try row.string(3),
            status: try enumValue(row, 4, as: WorkspaceStatus.self))
    }

    /// The columns of an access row over `access a JOIN workspaces w` (or their history tables):
    /// what is kept, and whether the workspace runs, which gives the live role.
    static let accessColumns = "a.workspace_id, a.username, a.role, a.held_role, a.via, w.status = 'running'"
    static let accessFrom = "access a JOIN workspaces w ON w.id = a.workspace_id"
    static func access(_ row: Row) throws -> AccessRow {
        AccessRow(
            workspaceID: try row.int64(0), username: try row.string(1), role: try optionalRole(row, 2),
            heldRole: try optionalRole(row, 3), via: textArray(try row.string(4)), running: try row.bool(5))
    }

    static let tokenColumns = """
        username, name, lifetime_seconds, secret_sha256, (extract(epoch FROM created_at) * 1000000)::bigint,
        (extract(epoch FROM expires_at) * 1000000)::bigint, (extract(epoch FROM revoked_at) * 1000000)::bigint
        """
    static func token(_ row: Row) throws -> TokenRecord {
        TokenRecord(
            username: try row.string(0), name: try row.string(1), lifetimeSeconds: try row.int64(2),
            secretSHA256: try row.string(3), createdAt: Timestamp(microseconds: try row.int64(4)),
            expiresAt: Timestamp(microseconds: try row.int64(5)),
            revokedAt: try row.optionalInt64(6).map(Timestamp.init(microseconds:)))
    }

    func strings(_ sql: String, _ parameters: [any PostgresBindable]) throws -> [String] {
        try connection.queryPrepared(sql, parameters).rows.map { try $0.string(0) }
    }

    func int64s(_ sql: String, _ parameters: [any PostgresBindable]) throws -> [Int64] {
        try connection.queryPrepared(sql, parameters).rows.map { try $0.int64(0) }
    }

    func count(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> Int {
        Int(try connection.queryPrepared(sql, parameters).first?.int64(0) ?? 0)
    }

    // MARK: LedgerReader

    public func user(key: String) throws -> UserRecord? {
        try connection.queryPrepared("SELECT \(Self.userColumns) FROM users WHERE key = $1", [key]).first.map(Self.user)
    }

    public func userCount() throws -> Int { try count("SELECT count(*) FROM users") }

    public func activeUserKeys() throws -> [String] {
        try strings("SELECT key FROM users WHERE status = 'active' ORDER BY key", [])
    }

    public func activeUserCount() throws -> Int { try count("SELECT count(*) FROM users WHERE status = 'active'") }

    public func group(key: String) throws -> GroupRecord? {
        try connection.queryPrepared("SELECT name, source, is_deleted FROM groups WHERE key = $1", [key]).first.map { row in
            GroupRecord(
                name: try row.string(0), source: try Self.enumValue(row, 1, as: GroupSource.self),
                isDeleted: try row.bool(2))
        }
    }

    public func memberKeys(ofGroup groupKey: String) throws -> [String] {
        try strings("SELECT user_key FROM group_members WHERE group_key = $1 ORDER BY user_key", [groupKey])
    }

    public func activeMemberCount(ofGroup groupKey: String) throws -> Int {
        try count(
            """
            SELECT count(*) FROM group_members m JOIN users u ON u.key = m.user_key
            WHERE m.group_key = $1 AND u.status = 'active'
            """, [groupKey])
    }

    public func groupKeys(ofUser userKey: String) throws -> [String] {
        try strings("SELECT group_key FROM group_members WHERE user_key = $1 ORDER BY group_key", [userKey])
    }

    public func workspace(id: Int64) throws -> WorkspaceRecord? {
        try connection.queryPrepared("SELECT \(Self.workspaceColumns) FROM workspaces WHERE id = $1", [id]).first.map(
            Self.workspace)
    }

    public func workspace(ownerKey: String, nameKey: String) throws -> WorkspaceRecord? {
        try connection.queryPrepared(
            """
            SELECT \(Self.workspaceColumns) FROM workspaces
            WHERE owner_key = $1 AND name_key = $2 AND status <> 'deleted'
            """, [ownerKey, nameKey]
        ).first.map(Self.workspace)
    }

    public func workspaceCount(ownerKey: String) throws -> Int {
        try count("SELECT count(*) FROM workspaces WHERE owner_key = $1 AND status <> 'deleted'", [ownerKey])
    }

    public func nextWorkspaceID() throws -> Int64 {
        try connection.queryPrepared("SELECT coalesce(max(id), 0) + 1 FROM workspaces").first?.int64(0) ?? 1
    }

    public func acl(workspaceID: Int64) throws -> WorkspaceACL {
        let results = try connection.pipeline([
            Statement("SELECT username, role FROM workspace_user_acl WHERE workspace_id = $1", [workspaceID]),
            Statement("SELECT name, role FROM workspace_group_acl WHERE workspace_id = $1", [workspaceID]),
        ])
        func entries(_ result: QueryResult) throws -> [ShareEntry] {
            try result.rows.map {
                ShareEntry(name: try $0.string(0), role: try Self.enumValue($0, 1, as: WorkspaceRole.self))
            }
        }
        return WorkspaceACL(users: try entries(results[0]), groups: try entries(results[1]))
    }

    public func workspaceIDs(sharedWithUser userKey: String) throws -> [Int64] {
        try int64s("SELECT workspace_id FROM workspace_user_acl WHERE user_key = $1 ORDER BY workspace_id", [userKey])
    }

    public func workspaceIDs(sharedWithGroup groupKey: String) throws -> [Int64] {
        try int64s(
            "SELECT workspace_id FROM workspace_group_acl WHERE group_key = $1 ORDER BY workspace_id", [groupKey])
    }

    public func workspaceIDs(sharedWithGroupsOfUser userKey: String) throws -> [Int64] {
        try int64s(
            """
            SELECT DISTINCT a.workspace_id FROM group_members m
            JOIN workspace_group_acl a ON a.group_key = m.group_key
            WHERE m.user_key = $1 ORDER BY a.workspace_id
            """, [userKey])
    }

    public func accessRow(workspaceID: Int64, userKey: String) throws -> AccessRow? {
        try connection.queryPrepared(
            "SELECT \(Self.accessColumns) FROM \(Self.accessFrom) WHERE a.workspace_id = $1 AND a.user_key = $2",
            [workspaceID, userKey]
        ).first.map(Self.access)
    }

    public func accessRows(workspaceID: Int64) throws -> [AccessRow] {
        try connection.queryPrepared(
            "SELECT \(Self.accessColumns) FROM \(Self.accessFrom) WHERE a.workspace_id = $1 ORDER BY a.user_key",
            [workspaceID]
        ).rows.map(Self.access)
    }

    public func pendingAccessRows(workspaceID: Int64) throws -> [AccessRow] {
        try connection.queryPrepared(
            """
            SELECT \(Self.accessColumns) FROM \(Self.accessFrom)
            WHERE a.workspace_id = $1 AND a.held_role IS NOT NULL ORDER BY a.user_key
            """, [workspaceID]
        ).rows.map(Self.access)
    }

    public func accessRows(userKey: String) throws -> [AccessRow] {
        try connection.queryPrepared(
            "SELECT \(Self.accessColumns) FROM \(Self.accessFrom) WHERE a.user_key = $1 ORDER BY a.workspace_id",
            [userKey]
        ).rows.map(Self.access)
    }

    public func token(userKey: String, nameKey: String) throws -> TokenRecord? {
        try connection.queryPrepared(
            "SELECT \(Self.tokenColumns) FROM tokens WHERE user_key = $1 AND name_key = $2", [userKey, nameKey]
        ).first.map(Self.token)
    }

    public func tokens(userKey: String) throws -> [TokenRecord] {
        try connection.queryPrepared(
            "SELECT \(Self.tokenColumns) FROM tokens WHERE user_key = $1 ORDER BY name_key", [userKey]
        ).rows.map(Self.token)
    }

    static let webhookColumns = "name, url, types"
    static func webhook(_ row: Row) throws -> WebhookRecord {
        WebhookRecord(name: try row.string(0), url: try row.string(1), types: textArray(try row.string(2)))
    }

    public func webhook(key: String) throws -> WebhookRecord? {
        try connection.queryPrepared("SELECT \(Self.webhookColumns) FROM webhooks WHERE key = $1", [key]).first.map(
            Self.webhook)
    }

    public func webhooks() throws -> [WebhookRecord] {
        try connection.queryPrepared("SELECT \(Self.webhookColumns) FROM webhooks ORDER BY key").rows.map(Self.webhook)
    }

    // MARK: LedgerWriter

    public func upsertUser(_ user: UserRecord) throws {
        try connection.query(
            """
            INSERT INTO users (key, username, kind, role, status) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (key) DO UPDATE SET username = $2, kind = $3, role = $4, status = $5
            """, [user.key, user.username, user.kind.rawValue, user.role.rawValue, user.status.rawValue])
    }

    public func upsertGroup(_ group: GroupRecord) throws {
        try connection.query(
            """
            INSERT INTO groups (key, name, source, is_deleted) VALUES ($1, $2, $3, $4)
            ON CONFLICT (key) DO UPDATE SET name = $2, source = $3, is_deleted = $4
            """, [group.key, group.name, group.source.rawValue, group.isDeleted])
    }

    public func addMember(groupKey: String, userKey: String) throws {
        try connection.query(
            "INSERT INTO group_members (group_key, user_key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [groupKey, userKey])
    }

    public func removeMember(groupKey: String, userKey: String) throws {
        try connection.query("DELETE FROM group_members WHERE group_key = $1 AND user_key = $2", [groupKey, userKey])
    }

    public func upsertWorkspace(_ workspace: WorkspaceRecord) throws {
        try connection.query(
            """
            INSERT INTO workspaces (id, owner, owner_key, name, name_key, template, status)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (id) DO UPDATE SET owner = $2, owner_key = $3, name = $4, name_key = $5, template = $6,
                status = $7
            """,
            [
                workspace.id, workspace.owner, workspace.ownerKey, workspace.name, workspace.nameKey,
                workspace.template, workspace.status.rawValue,
            ])
    }

    public func setUserEntry(workspaceID: Int64, entry: ShareEntry) throws {
        try connection.query(
            """
            INSERT INTO workspace_user_acl (workspace_id, user_key, username, role) VALUES ($1, $2, $3, $4)
            ON CONFLICT (workspace_id, user_key) DO UPDATE SET username = $3, role = $4
            """, [workspaceID, entry.key, entry.name, entry.role.rawValue])
    }

    public func removeUserEntry(workspaceID: Int64, userKey: String) throws {
        try connection.query(
            "DELETE FROM workspace_user_acl WHERE workspace_id = $1 AND user_key = $2", [workspaceID, userKey])
    }

    public func setGroupEntry(workspaceID: Int64, entry: ShareEntry) throws {
        try connection.query(
            """
            INSERT INTO workspace_group_acl (workspace_id, group_key, name, role) VALUES ($1, $2, $3, $4)
            ON CONFLICT (workspace_id, group_key) DO UPDATE SET name = $3, role = $4
            """, [workspaceID, entry.key, entry.name, entry.role.rawValue])
    }

    public func removeGroupEntry(workspaceID: Int64, groupKey: String) throws {
        try connection.query(
            "DELETE FROM workspace_group_acl WHERE workspace_id = $1 AND group_key = $2", [workspaceID, groupKey])
    }

    public func upsertAccessRow(_ row: AccessRow, position: Int64, occurredAt: Timestamp) throws {
        try connection.query(
            """
            INSERT INTO access (workspace_id, user_key, username, role, held_role, via)
            VALUES ($1, $2, $3, $4, $5, $6::text[])
            ON CONFLICT (workspace_id, user_key) DO UPDATE
            SET username = $3, role = $4, held_role = $5, via = $6::text[]
            """,
            [row.workspaceID, row.userKey, row.username, row.role?.rawValue, row.heldRole?.rawValue, row.via])
    }

    public func deleteAccessRow(workspaceID: Int64, userKey: String, position: Int64, occurredAt: Timestamp) throws {
        try connection.query("DELETE FROM access WHERE workspace_id = $1 AND user_key = $2", [workspaceID, userKey])
    }

    public func upsertWebhook(_ webhook: WebhookRecord) throws {
        try connection.query(
            """
            INSERT INTO webhooks (key, name, url, types) VALUES ($1, $2, $3, $4::text[])
            ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name, url = EXCLUDED.url, types = EXCLUDED.types
            """, [webhook.key, webhook.name, webhook.url, webhook.types])
    }

    public func removeWebhook(key: String) throws {
        try connection.query("DELETE FROM webhooks WHERE key = $1", [key])
    }

    public func upsertToken(_ token: TokenRecord) throws {
        try connection.query(
            """
            INSERT INTO tokens (user_key, name_key, username, name, lifetime_seconds, secret_sha256, created_at,
                                expires_at, revoked_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz, $9::timestamptz)
            ON CONFLICT (user_key, name_key) DO UPDATE
            SET username = $3, name = $4, lifetime_seconds = $5, secret_sha256 = $6, created_at = $7::timestamptz,
                expires_at = $8::timestamptz, revoked_at = $9::timestamptz
            """,
            [
                token.userKey, token.nameKey, token.username, token.name, token.lifetimeSeconds, token.secretSHA256,
                token.createdAt.canonical, token.expiresAt.canonical, token.revokedAt?.canonical,
            ])
    }
}

extension String {
    fileprivate func replacingQuotes() -> String {
        guard hasPrefix("\""), hasSuffix("\""), count >= 2 else { return self }
        return String(dropFirst().dropLast())
    }
}
