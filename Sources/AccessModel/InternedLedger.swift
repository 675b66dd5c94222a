/// Small integer ids for the keys of one kind of name (users, or groups), given once in the order
/// the keys are first seen; the keys are kept, so that answers can name them again.
///
/// The last key looked up is remembered: ``Projection`` asks several questions about the same
/// user in a row, and comparing with the last key (equal short strings compare as two words)
/// is cheaper than hashing it again.
struct KeyInterner {
    private var ids: [String: Int32] = [:]
    /// The key of each id.
    private(set) var keys: [String] = []
    private var lastKey = ""
    private var lastID: Int32 = -1

    /// The id of `key`, or `nil` when it was never interned.
    mutating func find(_ key: String) -> Int32? {
        if lastID >= 0, key == lastKey { return lastID }
        guard let id = ids[key] else { return nil }
        lastKey = key
        lastID = id
        return id
    }

    /// The id of `key`, given now when it has none yet, and whether it is new.
    mutating func intern(_ key: String) -> (id: Int32, isNew: Bool) {
        if let id = find(key) { return (id, false) }
        let id = Int32(keys.count)
        ids[key] = id
        keys.append(key)
        lastKey = key
        lastID = id
        return (id, true)
    }

    /// The keys of `ids`, sorted.
    func sortedKeys(_ ids: some Sequence<Int32>) -> [String] { ids.map { keys[Int($0)] }.sorted() }
}

/// The projections in memory keyed by small integers: what `replay` and `import` rebuild the
/// tables from (their apply step is most of a replay's time).
///
/// It answers exactly as ``InMemoryLedger`` does (the property tests compare every answer and
/// the snapshots), but each user key and group key is looked up once per call and turned into a
/// small id (``KeyInterner``); everything behind it — memberships, ACL indexes, access rows by
/// workspace and by user, pending revocations, tokens — is kept in arrays indexed by those ids
/// and in sets and maps of integers, so that no string is hashed twice for one question.
/// Workspaces are found by their id. Deleted users and groups keep their ids, as they keep
/// their records.
///
/// ``InMemoryLedger`` stays the plain reference the domain tests read; this is the fast one.
public final class InternedLedger: LedgerWriter {
    private struct UserSlot {
        var record: UserRecord?
        var groups: Set<Int32> = []
        /// Workspaces whose ACL has a direct entry for the user.
        var entries: Set<Int64> = []
        /// Workspaces where the user has an access row.
        var access: Set<Int64> = []
        /// Tokens by name key.
        var tokens: [String: TokenRecord] = [:]
        /// Non-deleted workspaces the user owns.
        var ownedWorkspaces = 0
    }

    private struct GroupSlot {
        var record: GroupRecord?
        var members: Set<Int32> = []
        /// Workspaces whose ACL has an entry for the group.
        var entries: Set<Int64> = []
    }

    private struct WorkspaceSlot {
        var record: WorkspaceRecord?
        /// Kept sorted as ``WorkspaceACL`` promises (empty when there is none).
        var acl = WorkspaceACL()
        /// Access rows as written (see ``InMemoryLedger``), by user id.
        var access: [Int32: AccessRow] = [:]
        /// Ids of the users whose row is pending revocation.
        var pending: Set<Int32> = []
        /// Whether ``workspaceByName`` maps the record's owner and name to this workspace.
        var holdsName = false
        var isRunning: Bool { record?.status == .running }
    }

    /// Where a workspace is registered by owner and name (``LedgerReader/workspace(ownerKey:nameKey:)``).
    private struct NameIndexKey: Hashable {
        var owner: String
        var name: String
    }

    private var userIDs = KeyInterner()
    private var users: [UserSlot] = []
    private var storedUsers = 0
    private var activeUsers = 0
    private var groupIDs = KeyInterner()
    private var groups: [GroupSlot] = []
    private var slotByWorkspaceID: [Int64: Int32] = [:]
    private var workspaceSlots: [WorkspaceSlot] = []
    private var workspaceByName: [NameIndexKey: Int64] = [:]
    private var highestWorkspaceID: Int64 = 0
    private var webhookRecords: [String: WebhookRecord] = [:]

    /// An empty ledger.
    public init() {}

    /// A copy of all projected state, equal to the one an ``InMemoryLedger`` given the same
    /// writes returns.
    public func snapshot() -> LedgerSnapshot {
        var snapshotUsers: [String: UserRecord] = [:]
        var tokens: [String: TokenRecord] = [:]
        for (id, slot) in users.enumerated() {
            if let record = slot.record { snapshotUsers[userIDs.keys[id]] = record }
            for token in slot.tokens.values {
                tokens[InMemoryLedger.tokenIndexKey(token.userKey, token.nameKey)] = token
            }
        }
        var snapshotGroups: [String: GroupRecord] = [:]
        var members: [String: Set<String>] = [:]
        for (id, slot) in groups.enumerated() {
            let key = groupIDs.keys[id]
            if let record = slot.record { snapshotGroups[key] = record }
            if !slot.members.isEmpty { members[key] = Set(slot.members.map { userIDs.keys[Int($0)] }) }
        }
        var workspaces: [Int64: WorkspaceRecord] = [:]
        var acls: [Int64: WorkspaceACL] = [:]
        var access: [Int64: [String: AccessRow]] = [:]
        for (id, index) in slotByWorkspaceID {
            let slot = workspaceSlots[Int(index)]
            if let record = slot.record { workspaces[id] = record }
            if !slot.acl.isEmpty { acls[id] = slot.acl }
            if !slot.access.isEmpty {
                let running = slot.isRunning
                access[id] = Dictionary(
                    uniqueKeysWithValues: slot.access.map {
                        (userIDs.keys[Int($0.key)], $0.value.observed(running: running))
                    })
            }
        }
        return LedgerSnapshot(
            users: snapshotUsers, groups: snapshotGroups, members: members, workspaces: workspaces, acls: acls,
            access: access, tokens: tokens, webhooks: webhookRecords)
    }

    // MARK: Ids

    private func userID(_ key: String) -> Int32? { userIDs.find(key) }

    private func internUser(_ key: String) -> Int32 {
        let (id, isNew) = userIDs.intern(key)
        if isNew { users.append(UserSlot()) }
        return id
    }

    private func groupID(_ key: String) -> Int32? { groupIDs.find(key) }

    private func internGroup(_ key: String) -> Int32 {
        let (id, isNew) = groupIDs.intern(key)
        if isNew { groups.append(GroupSlot()) }
        return id
    }

    private func workspaceSlot(_ id: Int64) -> Int? { slotByWorkspaceID[id].map(Int.init) }

    private func internWorkspace(_ id: Int64) -> Int {
        if let index = slotByWorkspaceID[id] { return Int(index) }
        let index = workspaceSlots.count
        slotByWorkspaceID[id] = Int32(index)
        workspaceSlots.append(WorkspaceSlot())
        return index
    }

    // MARK: LedgerReader

    public func user(key: String) -> UserRecord? { userID(key).flatMap { users[Int($0)].record } }
    public func userCount() -> Int { storedUsers }
    public func activeUserKeys() -> [String] {
        var keys: [String] = []
        keys.reserveCapacity(activeUsers)
        for (id, slot) in users.enumerated() where slot.record?.isActive == true { keys.append(userIDs.keys[id]) }
        return keys.sorted()
    }
    public func activeUserCount() -> Int { activeUsers }

    public func group(key: String) -> GroupRecord? { groupID(key).flatMap { groups[Int($0)].record } }
    public func memberKeys(ofGroup groupKey: String) -> [String] {
        guard let id = groupID(groupKey) else { return [] }
        return userIDs.sortedKeys(groups[Int(id)].members)
    }
    public func activeMemberCount(ofGroup groupKey: String) -> Int {
        guard let id = groupID(groupKey) else { return 0 }
        return groups[Int(id)].members.count { users[Int($0)].record?.isActive == true }
    }
    public func groupKeys(ofUser userKey: String) -> [String] {
        guard let id = userID(userKey) else { return [] }
        return groupIDs.sortedKeys(users[Int(id)].groups)
    }

    public func workspace(id: Int64) -> WorkspaceRecord? { workspaceSlot(id).flatMap { workspaceSlots[$0].record } }
    public func workspace(ownerKey: String, nameKey: String) -> WorkspaceRecord? {
        workspaceByName[NameIndexKey(owner: ownerKey, name: nameKey)].flatMap(workspace(id:))
    }
    public func workspaceCount(ownerKey: String) -> Int { userID(ownerKey).map { users[Int($0)].ownedWorkspaces } ?? 0 }
    public func nextWorkspaceID() -> Int64 { highestWorkspaceID + 1 }

    public func acl(workspaceID: Int64) -> WorkspaceACL {
        workspaceSlot(workspaceID).map { workspaceSlots[$0].acl } ?? WorkspaceACL()
    }
    public func workspaceIDs(sharedWithUser userKey: String) -> [Int64] {
        userID(userKey).map { users[Int($0)].entries.sorted() } ?? []
    }
    public func workspaceIDs(sharedWithGroup groupKey: String) -> [Int64] {
        groupID(groupKey).map { groups[Int($0)].entries.sorted() } ?? []
    }
    public func workspaceIDs(sharedWithGroupsOfUser userKey: String) -> [Int64] {
        guard let id = userID(userKey) else { return [] }
        var ids: Set<Int64> = []
        for group in users[Int(id)].groups { ids.formUnion(groups[Int(group)].entries) }
        return ids.sorted()
    }

    public func accessRow(workspaceID: Int64, userKey: String) -> AccessRow? {
        guard let index = workspaceSlot(workspaceID), let user = userID(userKey) else { return nil }
        let slot = workspaceSlots[index]
        return slot.access[user]?.observed(running: slot.isRunning)
    }
    public func accessRows(workspaceID: Int64) -> [AccessRow] {
        guard let index = workspaceSlot(workspaceID) else { return [] }
        let slot = workspaceSlots[index]
        let running = slot.isRunning
        let keys = userIDs.keys
        return slot.access.sorted { keys[Int($0.key)] < keys[Int($1.key)] }.map { $0.value.observed(running: running) }
    }
    public func accessRows(userKey: String) -> [AccessRow] {
        guard let user = userID(userKey) else { return [] }
        return users[Int(user)].access.sorted().compactMap { id in
            guard let index = workspaceSlot(id) else { return nil }
            let slot = workspaceSlots[index]
            return slot.access[user]?.observed(running: slot.isRunning)
        }
    }
    public func pendingAccessRows(workspaceID: Int64) -> [AccessRow] {
        guard let index = workspaceSlot(workspaceID) else { return [] }
        let slot = workspaceSlots[index]
        return sortedByUserKey(slot.pending).compactMap { slot.access[$0] }
    }

    /// User ids in the order of their keys.
    private func sortedByUserKey(_ ids: some Sequence<Int32>) -> [Int32] {
        let keys = userIDs.keys
        return ids.sorted { keys[Int($0)] < keys[Int($1)] }
    }

    public func token(userKey: String, nameKey: String) -> TokenRecord? {
        userID(userKey).flatMap { users[Int($0)].tokens[nameKey] }
    }
    public func tokens(userKey: String) -> [TokenRecord] {
        guard let id = userID(userKey) else { return [] }
        return users[Int(id)].tokens.values.sorted { $0.nameKey < $1.nameKey }
    }

    public func webhook(key: String) -> WebhookRecord? { webhookRecords[key] }
    public func webhooks() -> [WebhookRecord] { webhookRecords.values.sorted { $0.key < $1.key } }

    // MARK: LedgerWriter

    public func upsertUser(_ user: UserRecord) {
        let id = Int(internUser(user.key))
        let old = users[id].record
        if old == nil { storedUsers += 1 }
        activeUsers += (user.isActive ? 1 : 0) - (old?.isActive == true ? 1 : 0)
        users[id].record = user
    }

    public func upsertGroup(_ group: GroupRecord) { groups[Int(internGroup(group.key))].record = group }

    public func addMember(groupKey: String, userKey: String) {
        let group = internGroup(groupKey)
        let user = internUser(userKey)
        groups[Int(group)].members.insert(user)
        users[Int(user)].groups.insert(group)
    }

    public func removeMember(groupKey: String, userKey: String) {
        guard let group = groupID(groupKey), let user = userID(userKey) else { return }
        groups[Int(group)].members.remove(user)
        users[Int(user)].groups.remove(group)
    }

    public func upsertWorkspace(_ workspace: WorkspaceRecord) {
        let index = internWorkspace(workspace.id)
        let old = workspaceSlots[index].record
        workspaceSlots[index].record = workspace
        highestWorkspaceID = max(highestWorkspaceID, workspace.id)
        let isLive = workspace.status != .deleted
        // A start or stop keeps owner and name: the indexes stay as they are, unless another
        // workspace took the name meanwhile (then it is taken back, as InMemoryLedger does).
        if let old, old.owner == workspace.owner, old.name == workspace.name, (old.status != .deleted) == isLive,
            workspaceSlots[index].holdsName || !isLive
        {
            return
        }
        if let old {
            if workspaceSlots[index].holdsName {
                workspaceByName[NameIndexKey(owner: old.ownerKey, name: old.nameKey)] = nil
                workspaceSlots[index].holdsName = false
            }
            if old.status != .deleted, let owner = userID(old.ownerKey) { users[Int(owner)].ownedWorkspaces -= 1 }
        }
        if isLive {
            let key = NameIndexKey(owner: workspace.ownerKey, name: workspace.nameKey)
            if let previous = workspaceByName.updateValue(workspace.id, forKey: key), previous != workspace.id,
                let holder = workspaceSlot(previous)
            {
                workspaceSlots[holder].holdsName = false
            }
            workspaceSlots[index].holdsName = true
            users[Int(internUser(workspace.ownerKey))].ownedWorkspaces += 1
        }
    }

    public func setUserEntry(workspaceID: Int64, entry: ShareEntry) {
        let index = internWorkspace(workspaceID)
        workspaceSlots[index].acl.set(entry, in: \.users)
        users[Int(internUser(entry.key))].entries.insert(workspaceID)
    }

    public func removeUserEntry(workspaceID: Int64, userKey: String) {
        if let index = workspaceSlot(workspaceID) { workspaceSlots[index].acl.users.removeAll { $0.key == userKey } }
        if let user = userID(userKey) { users[Int(user)].entries.remove(workspaceID) }
    }

    public func setGroupEntry(workspaceID: Int64, entry: ShareEntry) {
        let index = internWorkspace(workspaceID)
        workspaceSlots[index].acl.set(entry, in: \.groups)
        groups[Int(internGroup(entry.key))].entries.insert(workspaceID)
    }

    public func removeGroupEntry(workspaceID: Int64, groupKey: String) {
        if let index = workspaceSlot(workspaceID) { workspaceSlots[index].acl.groups.removeAll { $0.key == groupKey } }
        if let group = groupID(groupKey) { groups[Int(group)].entries.remove(workspaceID) }
    }

    public func upsertAccessRow(_ row: AccessRow, position: Int64, occurredAt: Timestamp) {
        let index = internWorkspace(row.workspaceID)
        let user = internUser(row.userKey)
        workspaceSlots[index].access[user] = row
        if row.state == .pendingRevocation {
            workspaceSlots[index].pending.insert(user)
        } else {
            workspaceSlots[index].pending.remove(user)
        }
        users[Int(user)].access.insert(row.workspaceID)
    }

    public func deleteAccessRow(workspaceID: Int64, userKey: String, position: Int64, occurredAt: Timestamp) {
        guard let user = userID(userKey) else { return }
        if let index = workspaceSlot(workspaceID) {
            workspaceSlots[index].access[user] = nil
            workspaceSlots[index].pending.remove(user)
        }
        users[Int(user)].access.remove(workspaceID)
    }

    public func upsertToken(_ token: TokenRecord) {
        users[Int(internUser(token.userKey))].tokens[token.nameKey] = token
    }

    public func upsertWebhook(_ webhook: WebhookRecord) { webhookRecords[webhook.key] = webhook }

    public func removeWebhook(key: String) { webhookRecords[key] = nil }
}
