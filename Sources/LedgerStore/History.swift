import AccessModel
import PostgresClient

/// One temporal projection table of `sql/0003_history.sql`: key columns, value columns, and the
/// interval columns `from_position, from_time, to_position, to_time`.
public struct HistoryTable: Sendable, Hashable {
    public let name: String
    public let keyColumns: [String]
    public let valueColumns: [String]
    /// Casts for value columns that are not `text` in SQL (e.g. `text[]`, `boolean`).
    public let casts: [String: String]

    public static let users = HistoryTable(
        name: "user_history", keyColumns: ["key"], valueColumns: ["username", "kind", "role", "status"], casts: [:])
    public static let groups = HistoryTable(
        name: "group_history", keyColumns: ["key"], valueColumns: ["name", "is_deleted"],
        casts: ["is_deleted": "boolean"])
    public static let members = HistoryTable(
        name: "member_history", keyColumns: ["group_key", "user_key"], valueColumns: [], casts: [:])
    public static let workspaces = HistoryTable(
        name: "workspace_history", keyColumns: ["id"],
        valueColumns: ["owner", "owner_key", "name", "name_key", "template", "status"], casts: ["id": "bigint"])
    public static let acl = HistoryTable(
        name: "acl_history", keyColumns: ["workspace_id", "kind", "key"], valueColumns: ["name", "role"],
        casts: ["workspace_id": "bigint"])
    public static let access = HistoryTable(
        name: "access_history", keyColumns: ["workspace_id", "user_key"],
        valueColumns: ["username", "role", "held_role", "via"],
        casts: ["workspace_id": "bigint", "via": "text[]"])

    public static let all: [HistoryTable] = [.users, .groups, .members, .workspaces, .acl, .access]

    /// Every column, in table order.
    public var columns: [String] {
        keyColumns + valueColumns + ["from_position", "from_time", "to_position", "to_time"]
    }

    func cast(_ column: String) -> String { casts[column].map { "::" + $0 } ?? "" }
}

/// One key or value column of a temporal table, typed as the column is.
public enum HistoryValue: Sendable, Hashable {
    case text(String?)
    case int64(Int64)
    case bool(Bool)
    case textArray([String])

    /// As a query parameter (with the casts of ``HistoryTable/casts``).
    var bindable: any PostgresBindable {
        switch self {
        case .text(let value): return PostgresText(value)
        case .int64(let value): return value
        case .bool(let value): return value
        case .textArray(let values): return values
        }
    }

    /// Appends the value to binary COPY rows.
    func write(to rows: inout BinaryCopyRows) {
        switch self {
        case .text(let value): rows.text(value)
        case .int64(let value): rows.int64(value)
        case .bool(let value): rows.bool(value)
        case .textArray(let values): rows.textArray(values)
        }
    }
}

/// Where interval changes go: SQL statements on the live path, COPY batches during replay.
public protocol HistorySink: AnyObject {
    /// Ends the open interval of `key` in `table` (if any) at `position`, and opens a new one
    /// with `values` unless `values` is `nil` (the entity is gone).
    func change(_ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp)

    /// ``change(_:key:values:position:time:)`` for `access_history`, the busiest table: `row`
    /// from now on, or `nil` when the row is gone.
    func changeAccess(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp)
}

extension HistorySink {
    public func changeAccess(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp) {
        change(
            .access, key: HistoryTable.accessKey(workspaceID, userKey), values: row.map(HistoryTable.accessValues),
            position: position, time: time)
    }
}

extension HistoryTable {
    /// The key columns of an `access_history` row.
    static func accessKey(_ workspaceID: Int64, _ userKey: String) -> [HistoryValue] {
        [.int64(workspaceID), .text(userKey)]
    }

    /// The value columns of an `access_history` row: what a store keeps of an access row.
    static func accessValues(_ row: AccessRow) -> [HistoryValue] {
        [.text(row.username), .text(row.role?.rawValue), .text(row.heldRole?.rawValue), .textArray(row.via)]
    }
}

/// A ``LedgerWriter`` that forwards every call to `base` and records the temporal projections
/// in `sink`. This is the one place that says which projection write begins or ends which
/// interval; the live path and replay both use it.
public final class HistoryTrackingLedger<Base: LedgerWriter>: LedgerWriter {
    public let base: Base
    public let sink: any HistorySink
    private var position: Int64 = 0
    private var time = Timestamp(microseconds: 0)

    public init(base: Base, sink: any HistorySink) {
        self.base = base
        self.sink = sink
    }

    /// Applies one event at `position`, occurring at `occurredAt`, to `base` through
    /// ``Projection``, recording the intervals its writes begin and end.
    public func apply(_ event: LedgerEvent, position: Int64, occurredAt: Timestamp) throws {
        self.position = position
        self.time = occurredAt
        try Projection.apply(event, position: position, occurredAt: occurredAt, to: self)
    }

    private func record(_ table: HistoryTable, _ key: [HistoryValue], _ values: [HistoryValue]?) {
        sink.change(table, key: key, values: values, position: position, time: time)
    }

    // MARK: Writes, with their history

    public func upsertUser(_ user: UserRecord) throws {
        try base.upsertUser(user)
        record(
            .users, [.text(user.key)],
            [.text(user.username), .text(user.kind.rawValue), .text(user.role.rawValue), .text(user.status.rawValue)])
    }

    public func upsertGroup(_ group: GroupRecord) throws {
        try base.upsertGroup(group)
        record(.groups, [.text(group.key)], [.text(group.name), .bool(group.isDeleted)])
    }

    public func addMember(groupKey: String, userKey: String) throws {
        try base.addMember(groupKey: groupKey, userKey: userKey)
        record(.members, [.text(groupKey), .text(userKey)], [])
    }

    public func removeMember(groupKey: String, userKey: String) throws {
        try base.removeMember(groupKey: groupKey, userKey: userKey)
        record(.members, [.text(groupKey), .text(userKey)], nil)
    }

    public func upsertWorkspace(_ workspace: WorkspaceRecord) throws {
        try base.upsertWorkspace(workspace)
        record(
            .workspaces, [.int64(workspace.id)],
            [
                .text(workspace.owner), .text(workspace.ownerKey), .text(workspace.name), .text(workspace.nameKey),
                .text(workspace.template), .text(workspace.status.rawValue),
            ])
    }

    public func setUserEntry(workspaceID: Int64, entry: ShareEntry) throws {
        try base.setUserEntry(workspaceID: workspaceID, entry: entry)
        record(
            .acl, [.int64(workspaceID), .text("user"), .text(entry.key)],
            [.text(entry.name), .text(entry.role.rawValue)])
    }

    public func removeUserEntry(workspaceID: Int64, userKey: String) throws {
        try base.removeUserEntry(workspaceID: workspaceID, userKey: userKey)
        record(.acl, [.int64(workspaceID), .text("user"), .text(userKey)], nil)
    }

    public func setGroupEntry(workspaceID: Int64, entry: ShareEntry) throws {
        try base.setGroupEntry(workspaceID: workspaceID, entry: entry)
        record(
            .acl, [.int64(workspaceID), .text("group"), .text(entry.key)],
            [.text(entry.name), .text(entry.role.rawValue)])
    }

    public func removeGroupEntry(workspaceID: Int64, groupKey: String) throws {
        try base.removeGroupEntry(workspaceID: workspaceID, groupKey: groupKey)
        record(.acl, [.int64(workspaceID), .text("group"), .text(groupKey)], nil)
    }

    public func upsertAccessRow(_ row: AccessRow, position: Int64, occurredAt: Timestamp) throws {
        try base.upsertAccessRow(row, position: position, occurredAt: occurredAt)
        sink.changeAccess(
            workspaceID: row.workspaceID, userKey: row.userKey, row: row, position: position, time: occurredAt)
    }

    public func deleteAccessRow(workspaceID: Int64, userKey: String, position: Int64, occurredAt: Timestamp) throws {
        try base.deleteAccessRow(workspaceID: workspaceID, userKey: userKey, position: position, occurredAt: occurredAt)
        sink.changeAccess(workspaceID: workspaceID, userKey: userKey, row: nil, position: position, time: occurredAt)
    }

    public func upsertToken(_ token: TokenRecord) throws { try base.upsertToken(token) }
    public func upsertWebhook(_ webhook: WebhookRecord) throws { try base.upsertWebhook(webhook) }
    public func removeWebhook(key: String) throws { try base.removeWebhook(key: key) }

    // MARK: Reads go to the base

    public func user(key: String) throws -> UserRecord? { try base.user(key: key) }
    public func userCount() throws -> Int { try base.userCount() }
    public func activeUserKeys() throws -> [String] { try base.activeUserKeys() }
    public func activeUserCount() throws -> Int { try base.activeUserCount() }
    public func group(key: String) throws -> GroupRecord? { try base.group(key: key) }
    public func memberKeys(ofGroup groupKey: String) throws -> [String] { try base.memberKeys(ofGroup: groupKey) }
    public func activeMemberCount(ofGroup groupKey: String) throws -> Int {
        try base.activeMemberCount(ofGroup: groupKey)
    }
    public func groupKeys(ofUser userKey: String) throws -> [String] { try base.groupKeys(ofUser: userKey) }
    public func workspace(id: Int64) throws -> WorkspaceRecord? { try base.workspace(id: id) }
    public func workspace(ownerKey: String, nameKey: String) throws -> WorkspaceRecord? {
        try base.workspace(ownerKey: ownerKey, nameKey: nameKey)
    }
    public func workspaceCount(ownerKey: String) throws -> Int { try base.workspaceCount(ownerKey: ownerKey) }
    public func nextWorkspaceID() throws -> Int64 { try base.nextWorkspaceID() }
    public func acl(workspaceID: Int64) throws -> WorkspaceACL { try base.acl(workspaceID: workspaceID) }
    public func workspaceIDs(sharedWithUser userKey: String) throws -> [Int64] {
        try base.workspaceIDs(sharedWithUser: userKey)
    }
    public func workspaceIDs(sharedWithGroup groupKey: String) throws -> [Int64] {
        try base.workspaceIDs(sharedWithGroup: groupKey)
    }
    public func workspaceIDs(sharedWithGroupsOfUser userKey: String) throws -> [Int64] {
        try base.workspaceIDs(sharedWithGroupsOfUser: userKey)
    }
    public func accessRow(workspaceID: Int64, userKey: String) throws -> AccessRow? {
        try base.accessRow(workspaceID: workspaceID, userKey: userKey)
    }
    public func accessRows(workspaceID: Int64) throws -> [AccessRow] { try base.accessRows(workspaceID: workspaceID) }
    public func accessRows(userKey: String) throws -> [AccessRow] { try base.accessRows(userKey: userKey) }
    public func pendingAccessRows(workspaceID: Int64) throws -> [AccessRow] {
        try base.pendingAccessRows(workspaceID: workspaceID)
    }
    public func token(userKey: String, nameKey: String) throws -> TokenRecord? {
        try base.token(userKey: userKey, nameKey: nameKey)
    }
    public func tokens(userKey: String) throws -> [TokenRecord] { try base.tokens(userKey: userKey) }
    public func webhook(key: String) throws -> WebhookRecord? { try base.webhook(key: key) }
    public func webhooks() throws -> [WebhookRecord] { try base.webhooks() }
}

/// The live path's sink: queues the interval statements of one command and sends them in one
/// pipeline at ``flush()`` (nothing reads history while a command decides, so they can wait).
public final class SQLHistorySink: HistorySink {
    let connection: Connection
    private var statements: [Statement] = []

    public init(connection: Connection) { self.connection = connection }

    public func change(
        _ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp
    ) {
        let keyMatch = table.keyColumns.enumerated().map { "\($1) = $\($0 + 3)\(table.cast($1))" }
            .joined(separator: " AND ")
        statements.append(
            Statement(
                "UPDATE \(table.name) SET to_position = $1, to_time = $2::timestamptz WHERE \(keyMatch) "
                    + "AND to_position IS NULL",
                [position, time.canonical] + key.map(\.bindable)))
        guard let values else { return }
        let columns = table.keyColumns + table.valueColumns
        let placeholders = columns.enumerated().map { "$\($0 + 1)\(table.cast($1))" }
        let count = columns.count
        statements.append(
            Statement(
                "INSERT INTO \(table.name) (\(columns.joined(separator: ", ")), from_position, from_time) "
                    + "VALUES (\(placeholders.joined(separator: ", ")), $\(count + 1), $\(count + 2)::timestamptz)",
                key.map(\.bindable) + values.map(\.bindable) + [position, time.canonical]))
    }

    /// Queued statements from which a batch runs with sequential scans disabled.
    static let largeBatch = 256

    /// Sends the queued statements, then `after` in the same pipeline (one round trip in all).
    ///
    /// A large batch (a share with `Everyone`, say) runs with sequential scans disabled: each
    /// closing `UPDATE` has its index (`*_open_idx`), but when the table was last analysed
    /// empty PostgreSQL plans it as a sequential scan, and every `UPDATE` of the batch would then
    /// read all the rows inserted before it. `SET LOCAL … TO DEFAULT` afterwards restores the
    /// setting for the rest of the transaction.
    /// - Returns: the results of `after`.
    @discardableResult
    public func flush(then after: [Statement] = []) throws -> [QueryResult] {
        defer { statements.removeAll() }
        let batch =
            statements.count < Self.largeBatch
            ? statements
            : [Statement("SET LOCAL enable_seqscan = off")] + statements
                + [Statement("SET LOCAL enable_seqscan TO DEFAULT")]
        let all = batch + after
        guard !all.isEmpty else { return [] }
        return Array(try connection.pipeline(all).suffix(after.count))
    }
}
