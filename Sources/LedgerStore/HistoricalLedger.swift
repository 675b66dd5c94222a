import AccessModel
import PostgresClient

/// A point of the log to answer as of: `--at-position N` or `--at TIME`.
public enum LogPoint: Sendable, Equatable {
    case position(Int64)
    /// The last event that occurred at or before this time.
    case time(Timestamp)
}

/// The projections as they stood right after the event at `position`, read from the temporal
/// tables of `sql/0003_history.sql`: every lookup asks for the interval that contains
/// `position` (`from_position <= P AND (to_position IS NULL OR to_position > P)`), through the
/// same indexes whatever the length of the log.
///
/// Read-only: the writes of ``LedgerWriter`` are not offered. Tokens have no history and are
/// not answered as of a past position.
public struct HistoricalLedger: LedgerReader {
    public let connection: Connection
    public let position: Int64

    public init(connection: Connection, position: Int64) {
        self.connection = connection
        self.position = position
    }

    /// The interval predicate for table alias `alias`, with the position as parameter `$1`.
    static func valid(_ alias: String) -> String {
        "\(alias).from_position <= $1 AND (\(alias).to_position IS NULL OR \(alias).to_position > $1)"
    }

    func rows(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> [Row] {
        try connection.query(sql, [position] + parameters).rows
    }

    func strings(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> [String] {
        try rows(sql, parameters).map { try $0.string(0) }
    }

    func int64s(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> [Int64] {
        try rows(sql, parameters).map { try $0.int64(0) }
    }

    func count(_ sql: String, _ parameters: [any PostgresBindable] = []) throws -> Int {
        Int(try rows(sql, parameters).first?.int64(0) ?? 0)
    }

    // MARK: Users and groups

    public func user(key: String) throws -> UserRecord? {
        try rows(
            "SELECT username, kind, role, status FROM user_history h WHERE h.key = $2 AND \(Self.valid("h"))", [key]
        ).first.map(PostgresLedger.user)
    }

    public func userCount() throws -> Int {
        try count("SELECT count(DISTINCT key) FROM user_history h WHERE h.from_position <= $1")
    }

    public func activeUserKeys() throws -> [String] {
        try strings("SELECT key FROM user_history h WHERE h.status = 'active' AND \(Self.valid("h")) ORDER BY key")
    }

    public func activeUserCount() throws -> Int {
        try count("SELECT count(*) FROM user_history h WHERE h.status = 'active' AND \(Self.valid("h"))")
    }

    public func group(key: String) throws -> GroupRecord? {
        try rows("SELECT name, is_deleted FROM group_history h WHERE h.key = $2 AND \(Self.valid("h"))", [key])
            .first.map { row in
                // The source is not kept in history: as-of answers never show it.
                GroupRecord(name: try row.string(0), source: .manual, isDeleted: try row.bool(1))
            }
    }

    public func memberKeys(ofGroup groupKey: String) throws -> [String] {
        try strings(
            "SELECT user_key FROM member_history h WHERE h.group_key = $2 AND \(Self.valid("h")) ORDER BY user_key",
            [groupKey])
    }

    public func activeMemberCount(ofGroup groupKey: String) throws -> Int {
        try count(
            """
            SELECT count(*) FROM member_history m
            JOIN user_history u ON u.key = m.user_key AND \(Self.valid("u")) AND u.status = 'active'
            WHERE m.group_key = $2 AND \(Self.valid("m"))
            """, [groupKey])
    }

    public func groupKeys(ofUser userKey: String) throws -> [String] {
        try strings(
            "SELECT group_key FROM member_history h WHERE h.user_key = $2 AND \(Self.valid("h")) ORDER BY group_key",
            [userKey])
    }

    // MARK: Workspaces

    static let workspaceColumns = "h.id, h.owner, h.name, h.template, h.status"

    public func workspace(id: Int64) throws -> WorkspaceRecord? {
        try rows(
            "SELECT \(Self.workspaceColumns) FROM workspace_history h WHERE h.id = $2 AND \(Self.valid("h"))", [id]
        )
        .first.map(PostgresLedger.workspace)
    }

    public func workspace(ownerKey: String, nameKey: String) throws -> WorkspaceRecord? {
        try rows(
            """
            SELECT \(Self.workspaceColumns) FROM workspace_history h
            WHERE h.owner_key = $2 AND h.name_key = $3 AND h.status <> 'deleted' AND \(Self.valid("h"))
            """, [ownerKey, nameKey]
        ).first.map(PostgresLedger.workspace)
    }

    public func workspaceCount(ownerKey: String) throws -> Int {
        try count(
            "SELECT count(*) FROM workspace_history h WHERE h.owner_key = $2 AND h.status <> 'deleted' AND \(Self.valid("h"))",
            [ownerKey])
    }

    public func nextWorkspaceID() throws -> Int64 {
        try int64s("SELECT coalesce(max(id), 0) + 1 FROM workspace_history h WHERE h.from_position <= $1").first ?? 1
    }

    public func acl(workspaceID: Int64) throws -> WorkspaceACL {
        var users: [ShareEntry] = []
        var groups: [ShareEntry] = []
        for row in try rows(
            "SELECT kind, name, role FROM acl_history h WHERE h.workspace_id = $2 AND \(Self.valid("h"))", [workspaceID]
        ) {
            let entry = ShareEntry(
                name: try row.string(1), role: try PostgresLedger.enumValue(row, 2, as: WorkspaceRole.self))
            if try row.string(0) == "user" { users.append(entry) } else { groups.append(entry) }
        }
        return WorkspaceACL(users: users, groups: groups)
    }

    public func workspaceIDs(sharedWithUser userKey: String) throws -> [Int64] {
        try int64s(
            """
            SELECT workspace_id FROM acl_history h
            WHERE h.kind = 'user' AND h.key = $2 AND \(Self.valid("h")) ORDER BY workspace_id
            """, [userKey])
    }

    public func workspaceIDs(sharedWithGroup groupKey: String) throws -> [Int64] {
        try int64s(
            """
            SELECT workspace_id FROM acl_history h
            WHERE h.kind = 'group' AND h.key = $2 AND \(Self.valid("h")) ORDER BY workspace_id
            """, [groupKey])
    }

    public func workspaceIDs(sharedWithGroupsOfUser userKey: String) throws -> [Int64] {
        try int64s(
            """
            SELECT DISTINCT a.workspace_id FROM member_history m
            JOIN acl_history a ON a.kind = 'group' AND a.key = m.group_key AND \(Self.valid("a"))
            WHERE m.user_key = $2 AND \(Self.valid("m")) ORDER BY a.workspace_id
            """, [userKey])
    }

    // MARK: Access

    static let accessColumns = PostgresLedger.accessColumns
    static let accessFrom = "access_history a JOIN workspace_history w ON w.id = a.workspace_id AND \(valid("w"))"

    public func accessRow(workspaceID: Int64, userKey: String) throws -> AccessRow? {
        try rows(
            """
            SELECT \(Self.accessColumns) FROM \(Self.accessFrom)
            WHERE a.workspace_id = $2 AND a.user_key = $3 AND \(Self.valid("a"))
            """, [workspaceID, userKey]
        ).first.map(PostgresLedger.access)
    }

    public func accessRows(workspaceID: Int64) throws -> [AccessRow] {
        try rows(
            """
            SELECT \(Self.accessColumns) FROM \(Self.accessFrom)
            WHERE a.workspace_id = $2 AND \(Self.valid("a")) ORDER BY a.user_key
            """, [workspaceID]
        ).map(PostgresLedger.access)
    }

    public func pendingAccessRows(workspaceID: Int64) throws -> [AccessRow] {
        try rows(
            """
            SELECT \(Self.accessColumns) FROM \(Self.accessFrom)
            WHERE a.workspace_id = $2 AND a.held_role IS NOT NULL AND \(Self.valid("a")) ORDER BY a.user_key
            """, [workspaceID]
        ).map(PostgresLedger.access)
    }

    public func accessRows(userKey: String) throws -> [AccessRow] {
        try rows(
            """
            SELECT \(Self.accessColumns) FROM \(Self.accessFrom)
            WHERE a.user_key = $2 AND \(Self.valid("a")) ORDER BY a.workspace_id
            """, [userKey]
        ).map(PostgresLedger.access)
    }

    // MARK: Tokens

    public func token(userKey: String, nameKey: String) throws -> TokenRecord? {
        throw LedgerError.invalidInput("tokens are not answered as of a past position")
    }

    public func tokens(userKey: String) throws -> [TokenRecord] {
        throw LedgerError.invalidInput("tokens are not answered as of a past position")
    }

    public func webhook(key: String) throws -> WebhookRecord? {
        try webhooks().first { $0.key == key }
    }

    /// The webhooks as of the position: the last `webhook_*` event of each webhook's stream.
    public func webhooks() throws -> [WebhookRecord] {
        let rows = try connection.query(
            """
            SELECT DISTINCT ON (stream) type, data::text FROM ledger_events
            WHERE type IN ('webhook_added', 'webhook_removed') AND position <= $1
            ORDER BY stream, position DESC
            """, [position])
        return try rows.rows.compactMap { row -> WebhookRecord? in
            guard case .webhookAdded(let webhook) = try LedgerEvent(
                type: try row.string(0), data: try JSONValue.parse(try row.string(1)))
            else { return nil }
            return webhook
        }.sorted { $0.key < $1.key }
    }
}
