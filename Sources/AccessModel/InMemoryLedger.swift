/// The projections held in memory: for tests, for replaying a log without a database, and as
/// the reference the PostgreSQL tables must agree with.
///
/// Indexed both ways (group → members and user → groups, ACL by workspace and by user or group,
/// access rows by workspace and by user) so that every ``LedgerReader`` method costs what its
/// SQL counterpart would, and replaying a large log stays linear.
public final class InMemoryLedger: LedgerWriter {
    private var users: [String: UserRecord] = [:]
    private var groups: [String: GroupRecord] = [:]
    private var membersByGroup: [String: Set<String>] = [:]
    private var groupsByUser: [String: Set<String>] = [:]
    private var workspaces: [Int64: WorkspaceRecord] = [:]
    private var workspaceByName: [String: Int64] = [:]
    private var highestWorkspaceID: Int64 = 0
    /// Non-empty ACLs, kept sorted as ``WorkspaceACL`` promises, so reading one copies nothing.
    private var acls: [Int64: WorkspaceACL] = [:]
    private var workspacesByUserEntry: [String: Set<Int64>] = [:]
    private var workspacesByGroupEntry: [String: Set<Int64>] = [:]
    private var accessByWorkspace: [Int64: [String: AccessRow]] = [:]
    private var accessByUser: [String: Set<Int64>] = [:]
    /// Keys of the users whose row is pending revocation, by workspace.
    private var pendingByWorkspace: [Int64: Set<String>] = [:]
    private var tokenRecords: [String: TokenRecord] = [:]
    private var webhookRecords: [String: WebhookRecord] = [:]

    /// Every access-row change in order: what a store keeping access history would record.
    public private(set) var accessChanges: [AccessChange] = []

    /// Whether ``accessChanges`` is kept (it grows with the log; replay turns it off).
    public let recordsAccessChanges: Bool

    /// An empty ledger.
    /// - Parameter recordingAccessChanges: keep every access-row change in ``accessChanges``.
    public init(recordingAccessChanges: Bool = true) { recordsAccessChanges = recordingAccessChanges }

    /// A copy of all projected state, for comparing two ledgers.
    public func snapshot() -> LedgerSnapshot {
        LedgerSnapshot(
            users: users, groups: groups, members: membersByGroup.filter { !$0.value.isEmpty },
            workspaces: workspaces,
            acls: acls,
            access: accessByWorkspace.filter { !$0.value.isEmpty }.mapValues { rows in
                rows.mapValues { $0.observed(running: isRunning($0.workspaceID)) }
            }, tokens: tokenRecords, webhooks: webhookRecords)
    }

    /// All workspaces, deleted ones included, by id (for `list` in tests and tools).
    public func allWorkspaces() -> [WorkspaceRecord] { workspaces.values.sorted { $0.id < $1.id } }

    /// All users, deleted ones included, sorted by key.
    public func allUsers() -> [UserRecord] { users.values.sorted { $0.key < $1.key } }

    /// All stored groups, deleted ones included, sorted by key.
    public func allGroups() -> [GroupRecord] { groups.values.sorted { $0.key < $1.key } }

    private func removeEntry(workspaceID: Int64, key: String, from list: WritableKeyPath<WorkspaceACL, [ShareEntry]>) {
        guard var acl = acls.removeValue(forKey: workspaceID) else { return }
        acl[keyPath: list].removeAll { $0.key == key }
        if !acl.isEmpty { acls[workspaceID] = acl }
    }

    private static func nameIndexKey(_ ownerKey: String, _ nameKey: String) -> String { ownerKey + "/" + nameKey }
    /// The key of a token in ``LedgerSnapshot/tokens``: `USERKEY/NAMEKEY`.
    public static func tokenIndexKey(_ userKey: String, _ nameKey: String) -> String { userKey + "/" + nameKey }

    // MARK: LedgerReader

    public func user(key: String) -> UserRecord? { users[key] }
    public func userCount() -> Int { users.count }
    public func activeUserKeys() -> [String] { users.values.filter(\.isActive).map(\.key).sorted() }
    public func activeUserCount() -> Int { users.values.count { $0.isActive } }

    public func group(key: String) -> GroupRecord? { groups[key] }
    public func memberKeys(ofGroup groupKey: String) -> [String] { membersByGroup[groupKey, default: []].sorted() }
    public func activeMemberCount(ofGroup groupKey: String) -> Int {
        membersByGroup[groupKey, default: []].count { users[$0]?.isActive == true }
    }
    public func groupKeys(ofUser userKey: String) -> [String] { groupsByUser[userKey, default: []].sorted() }

    public func workspace(id: Int64) -> WorkspaceRecord? { workspaces[id] }
    public func workspace(ownerKey: String, nameKey: String) -> WorkspaceRecord? {
        workspaceByName[InMemoryLedger.nameIndexKey(ownerKey, nameKey)].flatMap { workspaces[$0] }
    }
    public func workspaceCount(ownerKey: String) -> Int {
        workspaces.values.count { $0.ownerKey == ownerKey && $0.status != .deleted }
    }
    public func nextWorkspaceID() -> Int64 { highestWorkspaceID + 1 }

    public func acl(workspaceID: Int64) -> WorkspaceACL { acls[workspaceID] ?? WorkspaceACL() }
    public func workspaceIDs(sharedWithUser userKey: String) -> [Int64] {
        workspacesByUserEntry[userKey, default: []].sorted()
    }
    public func workspaceIDs(sharedWithGroup groupKey: String) -> [Int64] {
        workspacesByGroupEntry[groupKey, default: []].sorted()
    }
    public func workspaceIDs(sharedWithGroupsOfUser userKey: String) -> [Int64] {
        var ids: Set<Int64> = []
        for groupKey in groupsByUser[userKey, default: []] {
            ids.formUnion(workspacesByGroupEntry[groupKey, default: []])
        }
        return ids.sorted()
    }

    // Access rows are kept as written and read as the workspace's status now makes them
    // (``AccessRow/observed(running:)``), as the SQL tables do: a start or stop rewrites only
    // the rows pending revocation.
    private func isRunning(_ workspaceID: Int64) -> Bool { workspaces[workspaceID]?.status == .running }

    public func accessRow(workspaceID: Int64, userKey: String) -> AccessRow? {
        accessByWorkspace[workspaceID]?[userKey]?.observed(running: isRunning(workspaceID))
    }
    public func accessRows(workspaceID: Int64) -> [AccessRow] {
        let running = isRunning(workspaceID)
        return accessByWorkspace[workspaceID, default: [:]].values.map { $0.observed(running: running) }
            .sorted { $0.userKey < $1.userKey }
    }
    public func accessRows(userKey: String) -> [AccessRow] {
        accessByUser[userKey, default: []].sorted().compactMap {
            accessByWorkspace[$0]?[userKey]?.observed(running: isRunning($0))
        }
    }
    public func pendingAccessRows(workspaceID: Int64) -> [AccessRow] {
        guard let keys = pendingByWorkspace[workspaceID], let rows = accessByWorkspace[workspaceID] else { return [] }
        return keys.sorted().compactMap { rows[$0] }
    }

    public func token(userKey: String, nameKey: String) -> TokenRecord? {
        tokenRecords[InMemoryLedger.tokenIndexKey(userKey, nameKey)]
    }
    public func tokens(userKey: String) -> [TokenRecord] {
        tokenRecords.values.filter { $0.userKey == userKey }.sorted { $0.nameKey < $1.nameKey }
    }

    // MARK: LedgerWriter

    public func upsertUser(_ user: UserRecord) { users[user.key] = user }

    public func upsertGroup(_ group: GroupRecord) { groups[group.key] = group }

    public func addMember(groupKey: String, userKey: String) {
        membersByGroup[groupKey, default: []].insert(userKey)
        groupsByUser[userKey, default: []].insert(groupKey)
    }

    public func removeMember(groupKey: String, userKey: String) {
        membersByGroup[groupKey]?.remove(userKey)
        groupsByUser[userKey]?.remove(groupKey)
        if membersByGroup[groupKey]?.isEmpty == true { membersByGroup[groupKey] = nil }
        if groupsByUser[userKey]?.isEmpty == true { groupsByUser[userKey] = nil }
    }

    public func upsertWorkspace(_ workspace: WorkspaceRecord) {
        if let old = workspaces[workspace.id] {
            let oldKey = InMemoryLedger.nameIndexKey(old.ownerKey, old.nameKey)
            if workspaceByName[oldKey] == old.id { workspaceByName[oldKey] = nil }
        }
        workspaces[workspace.id] = workspace
        highestWorkspaceID = max(highestWorkspaceID, workspace.id)
        if workspace.status != .deleted {
            workspaceByName[InMemoryLedger.nameIndexKey(workspace.ownerKey, workspace.nameKey)] = workspace.id
        }
    }

    public func setUserEntry(workspaceID: Int64, entry: ShareEntry) {
        acls[workspaceID, default: WorkspaceACL()].set(entry, in: \.users)
        workspacesByUserEntry[entry.key, default: []].insert(workspaceID)
    }

    public func removeUserEntry(workspaceID: Int64, userKey: String) {
        removeEntry(workspaceID: workspaceID, key: userKey, from: \.users)
        workspacesByUserEntry[userKey]?.remove(workspaceID)
        if workspacesByUserEntry[userKey]?.isEmpty == true { workspacesByUserEntry[userKey] = nil }
    }

    public func setGroupEntry(workspaceID: Int64, entry: ShareEntry) {
        acls[workspaceID, default: WorkspaceACL()].set(entry, in: \.groups)
        workspacesByGroupEntry[entry.key, default: []].insert(workspaceID)
    }

    public func removeGroupEntry(workspaceID: Int64, groupKey: String) {
        removeEntry(workspaceID: workspaceID, key: groupKey, from: \.groups)
        workspacesByGroupEntry[groupKey]?.remove(workspaceID)
        if workspacesByGroupEntry[groupKey]?.isEmpty == true { workspacesByGroupEntry[groupKey] = nil }
    }

    public func upsertAccessRow(_ row: AccessRow, position: Int64, occurredAt: Timestamp) {
        let userKey = row.userKey
        accessByWorkspace[row.workspaceID, default: [:]][userKey] = row
        accessByUser[userKey, default: []].insert(row.workspaceID)
        if row.state == .pendingRevocation {
            pendingByWorkspace[row.workspaceID, default: []].insert(userKey)
        } else {
            forgetPending(workspaceID: row.workspaceID, userKey: userKey)
        }
        if recordsAccessChanges {
            accessChanges.append(
                AccessChange(
                    position: position, occurredAt: occurredAt, workspaceID: row.workspaceID, userKey: row.userKey,
                    row: row))
        }
    }

    public func deleteAccessRow(workspaceID: Int64, userKey: String, position: Int64, occurredAt: Timestamp) {
        accessByWorkspace[workspaceID]?[userKey] = nil
        if accessByWorkspace[workspaceID]?.isEmpty == true { accessByWorkspace[workspaceID] = nil }
        accessByUser[userKey]?.remove(workspaceID)
        if accessByUser[userKey]?.isEmpty == true { accessByUser[userKey] = nil }
        forgetPending(workspaceID: workspaceID, userKey: userKey)
        if recordsAccessChanges {
            accessChanges.append(
                AccessChange(
                    position: position, occurredAt: occurredAt, workspaceID: workspaceID, userKey: userKey, row: nil))
        }
    }

    private func forgetPending(workspaceID: Int64, userKey: String) {
        guard pendingByWorkspace[workspaceID]?.remove(userKey) != nil else { return }
        if pendingByWorkspace[workspaceID]?.isEmpty == true { pendingByWorkspace[workspaceID] = nil }
    }

    public func upsertToken(_ token: TokenRecord) {
        tokenRecords[InMemoryLedger.tokenIndexKey(token.userKey, token.nameKey)] = token
    }

    public func upsertWebhook(_ webhook: WebhookRecord) { webhookRecords[webhook.key] = webhook }

    public func removeWebhook(key: String) { webhookRecords[key] = nil }

    public func webhook(key: String) -> WebhookRecord? { webhookRecords[key] }

    public func webhooks() -> [WebhookRecord] { webhookRecords.values.sorted { $0.key < $1.key } }
}
