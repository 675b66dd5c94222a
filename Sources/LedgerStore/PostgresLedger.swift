import AccessModel
import PostgresClient

/// The projection tables of `sql/0002_projections.sql` behind AccessModel's ``LedgerReader``:
/// the read side, and what a command's ``StagedLedger`` reads through (it writes the tables
/// itself, set-based). Every method is one indexed, parameterised statement; the columns it
/// reads and how a row becomes a record are defined once here.
public struct PostgresLedger: LedgerReader {
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

    /// `columns` (a list like ``userColumns``) each qualified with table alias `alias`.
    static func qualified(_ columns: String, _ alias: String) -> String {
        columns.split(separator: ", ").map { "\(alias).\($0)" }.joined(separator: ", ")
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

    static let groupColumns = "name, source, is_deleted"
    static func group(_ row: Row) throws -> GroupRecord {
        GroupRecord(
            name: try row.string(0), source: try enumValue(row, 1, as: GroupSource.self), isDeleted: try row.bool(2))
    }

    public func group(key: String) throws -> GroupRecord? {
        try connection.queryPrepared("SELECT \(Self.groupColumns) FROM groups WHERE key = $1", [key]).first.map(
            Self.group)
    }

    static func entries(_ rows: [Row]) throws -> [ShareEntry] {
        try rows.map { ShareEntry(name: try $0.string(0), role: try enumValue($0, 1, as: WorkspaceRole.self)) }
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
        return WorkspaceACL(users: try Self.entries(results[0].rows), groups: try Self.entries(results[1].rows))
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
}

extension String {
    fileprivate func replacingQuotes() -> String {
        guard hasPrefix("\""), hasSuffix("\""), count >= 2 else { return self }
        return String(dropFirst().dropLast())
    }
}
