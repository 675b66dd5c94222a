import AccessModel
import PostgresClient

/// A point of the log to answer as of: `--at-position N` or `--at TIME`.
public enum LogPoint: Sendable, Equatable {
    case position(Int64)
    /// The last event that occurred at or before this time.
    case time(Timestamp)
}

/// The projections as they stood right after the event at `position`, read from the temporal
/// tables of `sql/0003_history.sql` through the indexes of `sql/0007_interval_indexes.sql`, so
/// that no lookup visits an interval that cannot contain the position, whatever the length of
/// the log:
/// - one record of a single-valued history (a user, a group, a workspace, one access row) is
///   the last interval of its key beginning at or before the position, read backwards through
///   the primary key (``latest(_:_:where:)``), kept if it has not ended by then;
/// - the records of a multi-valued one (a group's members, a workspace's ACL entries and access
///   rows, …) come from a GiST index on the key and the interval's span (``during(_:)``).
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

    /// Whether the interval of table alias `alias` contains the position (parameter `$1`):
    /// `from_position <= P AND (to_position IS NULL OR to_position > P)`.
    static func valid(_ alias: String) -> String {
        "\(alias).from_position <= $1 AND (\(alias).to_position IS NULL OR \(alias).to_position > $1)"
    }

    /// The same test in the form the GiST indexes answer: the span `[from_position,
    /// to_position)` contains the position (parameter `$1`).
    static func during(_ alias: String) -> String {
        "int8range(\(alias).from_position, \(alias).to_position) @> $1::bigint"
    }

    /// `column` equals the text `parameter`, through an index on `hashtext(column)`.
    static func textKey(_ column: String, _ parameter: String) -> String {
        "hashtext(\(column)) = hashtext(\(parameter)::text) AND \(column) = \(parameter)"
    }

    /// The last interval of a single-valued history `table` matching `condition` that begins at
    /// or before the position (parameter `$1`), as a derived table named `alias`: one backward
    /// step through the primary key. Whether it still holds at the position is for the caller
    /// to test (``valid(_:)``).
    static func latest(_ table: String, _ alias: String, where condition: String) -> String {
        """
        (SELECT * FROM \(table) \(alias) WHERE \(condition) AND \(alias).from_position <= $1
         ORDER BY \(alias).from_position DESC LIMIT 1) \(alias)
        """
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
            """
            SELECT \(PostgresLedger.qualified(PostgresLedger.userColumns, "h"))
            FROM \(Self.latest("user_history", "h", where: "h.key = $2"))
            WHERE \(Self.valid("h"))
            """, [key]
        ).first.map(PostgresLedger.user)
    }

    public func userCount() throws -> Int {
        // A user, once created, has exactly one interval containing every later position.
        try count("SELECT count(*) FROM user_history h WHERE \(Self.during("h"))")
    }

    public func activeUserKeys() throws -> [String] {
        try strings("SELECT key FROM user_history h WHERE \(Self.during("h")) AND h.status = 'active' ORDER BY key")
    }

    public func activeUserCount() throws -> Int {
        try count("SELECT count(*) FROM user_history h WHERE \(Self.during("h")) AND h.status = 'active'")
    }

    public func group(key: String) throws -> GroupRecord? {
        try rows(
            """
            SELECT h.name, h.is_deleted FROM \(Self.latest("group_history", "h", where: "h.key = $2"))
            WHERE \(Self.valid("h"))
            """, [key]
        ).first.map { row in
            // The source is not kept in history: as-of answers never show it.
            GroupRecord(name: try row.string(0), source: .manual, isDeleted: try row.bool(1))
        }
    }

    public func memberKeys(ofGroup groupKey: String) throws -> [String] {
        try strings(
            """
            SELECT h.user_key FROM member_history h
            WHERE \(Self.textKey("h.group_key", "$2")) AND \(Self.during("h")) ORDER BY h.user_key
            """, [groupKey])
    }

    public func activeMemberCount(ofGroup groupKey: String) throws -> Int {
        try count(
            """
            SELECT count(*) FROM member_history m
            CROSS JOIN LATERAL \(Self.latest("user_history", "u", where: "u.key = m.user_key"))
            WHERE \(Self.textKey("m.group_key", "$2")) AND \(Self.during("m"))
              AND \(Self.valid("u")) AND u.status = 'active'
            """, [groupKey])
    }

    public func groupKeys(ofUser userKey: String) throws -> [String] {
        try strings(
            """
            SELECT h.group_key FROM member_history h
            WHERE \(Self.textKey("h.user_key", "$2")) AND \(Self.during("h")) ORDER BY h.group_key
            """, [userKey])
    }

    // MARK: Workspaces

    static let workspaceColumns = PostgresLedger.qualified(PostgresLedger.workspaceColumns, "h")

    public func workspace(id: Int64) throws -> WorkspaceRecord? {
        try rows(
            """
            SELECT \(Self.workspaceColumns) FROM \(Self.latest("workspace_history", "h", where: "h.id = $2"))
            WHERE \(Self.valid("h"))
            """, [id]
        ).first.map(PostgresLedger.workspace)
    }

    public func workspace(ownerKey: String, nameKey: String) throws -> WorkspaceRecord? {
        // Live intervals holding one name never overlap (a live name is unique), so the last
        // one beginning at or before the position is the only one that can contain it.
        try rows(
            """
            SELECT \(Self.workspaceColumns)
            FROM \(Self.latest("workspace_history", "h", where: "h.owner_key = $2 AND h.name_key = $3 AND h.status <> 'deleted'"))
            WHERE \(Self.valid("h"))
            """, [ownerKey, nameKey]
        ).first.map(PostgresLedger.workspace)
    }

    public func workspaceCount(ownerKey: String) throws -> Int {
        try count(
            """
            SELECT count(*) FROM workspace_history h
            WHERE \(Self.during("h")) AND h.status <> 'deleted' AND h.owner_key = $2
            """, [ownerKey])
    }

    public func nextWorkspaceID() throws -> Int64 {
        try int64s("SELECT coalesce(max(id), 0) + 1 FROM workspace_history h WHERE h.from_position <= $1").first ?? 1
    }

    public func acl(workspaceID: Int64) throws -> WorkspaceACL {
        var users: [ShareEntry] = []
        var groups: [ShareEntry] = []
        for row in try rows(
            "SELECT kind, name, role FROM acl_history h WHERE h.workspace_id = $2 AND \(Self.during("h"))",
            [workspaceID]
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
            WHERE \(Self.textKey("h.key", "$2")) AND h.kind = 'user' AND \(Self.during("h")) ORDER BY workspace_id
            """, [userKey])
    }

    public func workspaceIDs(sharedWithGroup groupKey: String) throws -> [Int64] {
        try int64s(
            """
            SELECT workspace_id FROM acl_history h
            WHERE \(Self.textKey("h.key", "$2")) AND h.kind = 'group' AND \(Self.during("h")) ORDER BY workspace_id
            """, [groupKey])
    }

    public func workspaceIDs(sharedWithGroupsOfUser userKey: String) throws -> [Int64] {
        try int64s(
            """
            SELECT DISTINCT a.workspace_id FROM member_history m
            JOIN acl_history a ON \(Self.textKey("a.key", "m.group_key")) AND a.kind = 'group' AND \(Self.during("a"))
            WHERE \(Self.textKey("m.user_key", "$2")) AND \(Self.during("m")) ORDER BY a.workspace_id
            """, [userKey])
    }

    // MARK: Access

    static let accessColumns = PostgresLedger.accessColumns

    /// The status of access row `a`'s workspace at the position, as `w.status`: looked up for
    /// each row.
    static let accessWorkspace =
        "CROSS JOIN LATERAL \(latest("workspace_history", "w", where: "w.id = a.workspace_id"))"

    /// The same when every row is of workspace `$2`: looked up once.
    static let accessWorkspaceOnce = "CROSS JOIN \(latest("workspace_history", "w", where: "w.id = $2"))"

    public func accessRow(workspaceID: Int64, userKey: String) throws -> AccessRow? {
        try rows(
            """
            SELECT \(Self.accessColumns)
            FROM \(Self.latest("access_history", "a", where: "a.workspace_id = $2 AND a.user_key = $3"))
            \(Self.accessWorkspaceOnce)
            WHERE \(Self.valid("a"))
            """, [workspaceID, userKey]
        ).first.map(PostgresLedger.access)
    }

    public func accessRows(workspaceID: Int64) throws -> [AccessRow] {
        try rows(
            """
            SELECT \(Self.accessColumns) FROM access_history a \(Self.accessWorkspaceOnce)
            WHERE a.workspace_id = $2 AND \(Self.during("a")) ORDER BY a.user_key
            """, [workspaceID]
        ).map(PostgresLedger.access)
    }

    public func pendingAccessRows(workspaceID: Int64) throws -> [AccessRow] {
        try rows(
            """
            SELECT \(Self.accessColumns) FROM access_history a \(Self.accessWorkspaceOnce)
            WHERE a.workspace_id = $2 AND \(Self.during("a")) AND a.held_role IS NOT NULL ORDER BY a.user_key
            """, [workspaceID]
        ).map(PostgresLedger.access)
    }

    public func accessRows(userKey: String) throws -> [AccessRow] {
        try rows(
            """
            SELECT \(Self.accessColumns) FROM access_history a \(Self.accessWorkspace)
            WHERE \(Self.textKey("a.user_key", "$2")) AND \(Self.during("a")) ORDER BY a.workspace_id
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
