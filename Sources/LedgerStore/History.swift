import AccessModel
import PostgresClient

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
        let row = TableRow.user(user)
        record(.users, row.key, row.values)
    }

    public func upsertGroup(_ group: GroupRecord) throws {
        try base.upsertGroup(group)
        let row = TableRow.group(group, withSource: false)
        record(.groups, row.key, row.values)
    }

    public func addMember(groupKey: String, userKey: String) throws {
        try base.addMember(groupKey: groupKey, userKey: userKey)
        record(.members, TableRow.member(groupKey: groupKey, userKey: userKey), [])
    }

    public func removeMember(groupKey: String, userKey: String) throws {
        try base.removeMember(groupKey: groupKey, userKey: userKey)
        record(.members, TableRow.member(groupKey: groupKey, userKey: userKey), nil)
    }

    public func upsertWorkspace(_ workspace: WorkspaceRecord) throws {
        try base.upsertWorkspace(workspace)
        let row = TableRow.workspace(workspace)
        record(.workspaces, row.key, row.values)
    }

    public func setUserEntry(workspaceID: Int64, entry: ShareEntry) throws {
        try base.setUserEntry(workspaceID: workspaceID, entry: entry)
        record(
            .acl, TableRow.aclKey(workspaceID: workspaceID, kind: "user", key: entry.key),
            TableRow.entry(workspaceID: workspaceID, entry).values)
    }

    public func removeUserEntry(workspaceID: Int64, userKey: String) throws {
        try base.removeUserEntry(workspaceID: workspaceID, userKey: userKey)
        record(.acl, TableRow.aclKey(workspaceID: workspaceID, kind: "user", key: userKey), nil)
    }

    public func setGroupEntry(workspaceID: Int64, entry: ShareEntry) throws {
        try base.setGroupEntry(workspaceID: workspaceID, entry: entry)
        record(
            .acl, TableRow.aclKey(workspaceID: workspaceID, kind: "group", key: entry.key),
            TableRow.entry(workspaceID: workspaceID, entry).values)
    }

    public func removeGroupEntry(workspaceID: Int64, groupKey: String) throws {
        try base.removeGroupEntry(workspaceID: workspaceID, groupKey: groupKey)
        record(.acl, TableRow.aclKey(workspaceID: workspaceID, kind: "group", key: groupKey), nil)
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
    public func prefetch(userKeys: [String], workspaceID: Int64) throws {
        try base.prefetch(userKeys: userKeys, workspaceID: workspaceID)
    }
}

/// The live path's sink: keeps the interval changes of one command and turns them into
/// set-based statements (``statements()``), sent in the command's one pipeline (nothing reads
/// history while a command decides, so they can wait).
///
/// The first change of a key ends the interval the database holds open for it (if any); each
/// later change in the same command ends the interval the one before it opened. The intervals
/// are thus exactly those a statement per change would write, and those replay writes.
public final class StagedHistory: HistorySink {
    private struct Change {
        var values: [HistoryValue]?
        var position: Int64
        var time: Timestamp
    }

    /// The changes of each key, in order, per table; keys in the order they first changed.
    private var changes: [TableShape: [[HistoryValue]: [Change]]] = [:]
    private var order: [TableShape: [[HistoryValue]]] = [:]

    public init() {}

    public var isEmpty: Bool { changes.isEmpty }

    public func change(
        _ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp
    ) {
        let change = Change(values: values, position: position, time: time)
        if changes[table]?[key]?.append(change) == nil {
            changes[table, default: [:]][key] = [change]
            order[table, default: []].append(key)
        }
    }

    /// The statements that record the changes: every table's closing `UPDATE` first (it must
    /// not close the intervals this command opens), then every table's `INSERT`. Keys for which
    /// `hasNoOpenInterval` holds are left out of the `UPDATE`.
    public func statements(hasNoOpenInterval: (TableShape, [HistoryValue]) -> Bool = { _, _ in false }) -> [Statement] {
        var closes: [Statement] = []
        var inserts: [Statement] = []
        for table in TableShape.all {
            guard let keys = order[table], let byKey = changes[table] else { continue }
            var firsts: [(key: [HistoryValue], position: Int64, time: Timestamp)] = []
            var rows: [[HistoryValue]] = []
            for key in keys {
                let list = byKey[key] ?? []
                guard let first = list.first else { continue }
                if !hasNoOpenInterval(table, key) { firsts.append((key, first.position, first.time)) }
                for (index, change) in list.enumerated() {
                    guard let values = change.values else { continue }
                    let end = index + 1 < list.count ? list[index + 1] : nil
                    rows.append(
                        key + values + [
                            .int64(change.position), .timestamp(change.time), end.map { .int64($0.position) } ?? .text(nil),
                            .timestamp(end?.time),
                        ])
                }
            }
            if !firsts.isEmpty { closes.append(table.closeIntervals(firsts)) }
            if !rows.isEmpty { inserts.append(table.insertIntervals(rows)) }
        }
        return closes + inserts
    }
}
