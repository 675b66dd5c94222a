import AccessModel
import PostgresClient

/// The projections as one command sees them while it decides and projects (``Ledger``): reads
/// go to the database once and are remembered, writes are applied to what is remembered and
/// kept, and ``statements()`` turns the writes into one set-based statement per table and kind
/// of write, which the command sends in its one pipeline with its events and intervals.
///
/// The rules and ``Projection`` read the same rows many times (the workspace, its ACL, each
/// user's row), so a command costs a round trip per row it needs rather than per read and
/// write. The answers are those the tables would give if every write had been sent at once:
/// - a single row (user, group, workspace, access row) is remembered with every write to it, so
///   a row not remembered has no write waiting and is read from the database;
/// - a whole set (a group's members, a user's groups, a workspace's ACL or access rows) is
///   remembered once read and kept up to date by the writes;
/// - any other read (counts, lists across workspaces, tokens, webhooks) first sends the writes
///   waiting for the tables it reads (one pipeline), then asks the database.
final class StagedLedger: LedgerWriter {
    let base: PostgresLedger
    private var connection: Connection { base.connection }

    private struct AccessKey: Hashable {
        var workspaceID: Int64
        var userKey: String
    }

    // What is known: `.some(nil)` is a row known not to exist.
    private var users: [String: UserRecord?] = [:]
    private var groups: [String: GroupRecord?] = [:]
    private var members: [String: Set<String>] = [:]
    private var groupsOfUser: [String: Set<String>] = [:]
    private var workspaces: [Int64: WorkspaceRecord?] = [:]
    private var acls: [Int64: WorkspaceACL] = [:]
    private var access: [AccessKey: AccessRow?] = [:]
    /// The keys of ``access`` per workspace, and the workspaces whose every row is in ``access``.
    private var accessKeys: [Int64: Set<String>] = [:]
    private var completeAccess: Set<Int64> = []
    /// The rows pending revocation on the command's workspace as read with the lock: the answer
    /// to ``pendingAccessRows(workspaceID:)`` until the command writes one of its access rows or
    /// the workspace itself.
    private var pending: [Int64: [AccessRow]] = [:]
    /// Access rows read from the table as absent (``hasNoOpenInterval(_:_:)``).
    private var readAbsent: Set<AccessKey> = []

    /// The writes waiting, per current table: the last row written for each key (`nil`: deleted).
    private var writes: [TableShape: [[HistoryValue]: [HistoryValue]?]] = [:]

    init(base: PostgresLedger) { self.base = base }

    // MARK: Sending the writes

    /// The statements that make the tables what the writes made them: per table, its deletes and
    /// then its upserts, in ``TableShape/current`` order. Clears the writes. (Rows need no
    /// particular order: every writer holds the append lock, so no two write at once.)
    func statements() -> [Statement] {
        defer { writes.removeAll() }
        var statements: [Statement] = []
        for table in TableShape.current {
            guard let rows = writes[table] else { continue }
            var deleted: [[HistoryValue]] = []
            var kept: [[HistoryValue]] = []
            for (key, values) in rows {
                if let values { kept.append(key + values) } else { deleted.append(key) }
            }
            if table == .currentWorkspaces {
                // A name a workspace leaves (by its deletion) is free before another takes it.
                kept.sort { $0.last == .text("deleted") && $1.last != .text("deleted") }
            }
            if !deleted.isEmpty { statements.append(table.delete(deleted)) }
            if !kept.isEmpty { statements.append(table.upsert(kept)) }
        }
        return statements
    }

    /// Whether `key` of temporal table `table` is known to have no open interval: an access row
    /// this command read as absent (a row of `access` has an open interval in `access_history`
    /// exactly while it exists). ``StagedHistory`` then sends no closing `UPDATE` for it.
    func hasNoOpenInterval(_ table: TableShape, _ key: [HistoryValue]) -> Bool {
        guard table == .access, key.count == 2, case .int64(let workspaceID) = key[0], case .text(let user?) = key[1]
        else { return false }
        return readAbsent.contains(AccessKey(workspaceID: workspaceID, userKey: user))
    }

    /// Sends the waiting writes when any of `tables` has one, so that a read of them from the
    /// database sees this command's writes.
    private func sendWrites(touching tables: [TableShape]) throws {
        guard tables.contains(where: { writes[$0] != nil }) else { return }
        _ = try connection.pipeline(statements())
    }

    private func write(_ table: TableShape, key: [HistoryValue], values: [HistoryValue]?) {
        writes[table, default: [:]][key] = .some(values)
    }

    // MARK: Prefetching

    /// The reads of what a command names (``CommandFootprint``) and of its actor, sent with the
    /// append lock: the users and groups, the workspace, its ACL, the named users' rows on it,
    /// the named users' groups and the named groups' members, the workspace's rows pending
    /// revocation (a start, stop or restart rewrites them), and the versions of the streams
    /// the command's events are likely to go to. ``remember(_:of:actor:)`` takes the results.
    /// Only the reads the footprint gives a value to are sent: a command that names no workspace
    /// or no group does not read them.
    static func reads(of footprint: CommandFootprint, actor: String?) -> [(read: FootprintRead, statement: Statement)] {
        let users = keys(footprint, actor: actor)
        let groups = footprint.groupKeys
        let named = "w.owner_key = $1 AND w.name_key = $2 AND w.status <> 'deleted'"
        let workspace: [any PostgresBindable] = [footprint.workspace?.owner.key, footprint.workspace?.name.key]
        var reads: [(FootprintRead, Statement)] = []
        if !users.isEmpty {
            reads.append(
                (.users, Statement("SELECT \(PostgresLedger.userColumns) FROM users WHERE key = ANY($1::text[])", [users])))
            reads.append(
                (.groupsOfUsers,
                 Statement("SELECT user_key, group_key FROM group_members WHERE user_key = ANY($1::text[])", [users])))
        }
        if !groups.isEmpty {
            reads.append(
                (.groups, Statement("SELECT \(PostgresLedger.groupColumns) FROM groups WHERE key = ANY($1::text[])", [groups])))
            reads.append(
                (.members,
                 Statement("SELECT group_key, user_key FROM group_members WHERE group_key = ANY($1::text[])", [groups])))
        }
        if footprint.workspace != nil {
            reads += [
                (.workspace, Statement("SELECT \(PostgresLedger.workspaceColumns) FROM workspaces w WHERE \(named)", workspace)),
                (.userEntries,
                 Statement(
                    "SELECT a.username, a.role FROM workspace_user_acl a JOIN workspaces w ON w.id = a.workspace_id "
                        + "WHERE \(named)", workspace)),
                (.groupEntries,
                 Statement(
                    "SELECT a.name, a.role FROM workspace_group_acl a JOIN workspaces w ON w.id = a.workspace_id "
                        + "WHERE \(named)", workspace)),
                (.pending,
                 Statement(
                    "SELECT \(PostgresLedger.accessColumns) FROM \(PostgresLedger.accessFrom) "
                        + "WHERE \(named) AND a.held_role IS NOT NULL", workspace)),
            ]
            if !users.isEmpty {
                reads.append(
                    (.access,
                     Statement(
                        "SELECT \(PostgresLedger.accessColumns) FROM \(PostgresLedger.accessFrom) "
                            + "WHERE \(named) AND a.user_key = ANY($3::text[])", workspace + [users])))
            }
        }
        reads.append(
            (.streamVersions,
             EventStore.streamVersionsStatement(
                users.map { "user:" + $0 } + groups.map { "group:" + $0 }, workspace: footprint.workspace)))
        return reads
    }

    /// What one of ``reads(of:actor:)`` reads.
    enum FootprintRead: Hashable {
        case users, groupsOfUsers, groups, members, workspace, userEntries, groupEntries, pending, access
        case streamVersions
    }

    private static func keys(_ footprint: CommandFootprint, actor: String?) -> [String] {
        Array(Set(footprint.userKeys + [actor.map(Name.key)].compactMap { $0 })).sorted()
    }

    /// Remembers what ``reads(of:actor:)`` read (a read not sent reads no row).
    /// - Returns: the stream versions read.
    func remember(
        _ results: [FootprintRead: QueryResult], of footprint: CommandFootprint, actor: String?
    ) throws -> [String: Int64] {
        func rows(_ read: FootprintRead) -> [Row] { results[read]?.rows ?? [] }
        let users = Self.keys(footprint, actor: actor)
        for key in users { self.users[key] = .some(nil) }
        for row in rows(.users) {
            let user = try PostgresLedger.user(row)
            self.users[user.key] = user
        }
        for key in footprint.groupKeys where key != GroupRecord.everyoneKey { groups[key] = .some(nil) }
        for row in rows(.groups) {
            let group = try PostgresLedger.group(row)
            groups[group.key] = group
        }
        if let row = rows(.workspace).first {
            let workspace = try PostgresLedger.workspace(row)
            workspaces[workspace.id] = workspace
            acls[workspace.id] = WorkspaceACL(
                users: try PostgresLedger.entries(rows(.userEntries)),
                groups: try PostgresLedger.entries(rows(.groupEntries)))
            try rememberRows(rows(.access), of: users, on: workspace.id)
            pending[workspace.id] = try rows(.pending).map(PostgresLedger.access)
        }
        for key in users { groupsOfUser[key] = [] }
        for row in rows(.groupsOfUsers) { groupsOfUser[try row.string(0), default: []].insert(try row.string(1)) }
        for key in footprint.groupKeys { members[key] = [] }
        for row in rows(.members) { members[try row.string(0), default: []].insert(try row.string(1)) }
        return try EventStore.streamVersions(rows(.streamVersions))
    }

    func prefetch(userKeys: [String], workspaceID: Int64) throws {
        let users = userKeys.filter { self.users[$0] == nil }
        let rows = completeAccess.contains(workspaceID) ? [] : userKeys.filter {
            access[AccessKey(workspaceID: workspaceID, userKey: $0)] == nil
        }
        let groupsWanted = userKeys.filter { groupsOfUser[$0] == nil }
        guard !users.isEmpty || !rows.isEmpty || !groupsWanted.isEmpty else { return }
        try sendWrites(touching: [.currentMembers])
        let results = try connection.pipeline([
            Statement("SELECT \(PostgresLedger.userColumns) FROM users WHERE key = ANY($1::text[])", [users]),
            Statement(
                """
                SELECT \(PostgresLedger.accessColumns) FROM \(PostgresLedger.accessFrom)
                WHERE a.workspace_id = $1 AND a.user_key = ANY($2::text[])
                """, [workspaceID, rows]),
            Statement(
                "SELECT user_key, group_key FROM group_members WHERE user_key = ANY($1::text[])", [groupsWanted]),
        ])
        for key in users { self.users[key] = .some(nil) }
        for row in results[0].rows {
            let user = try PostgresLedger.user(row)
            self.users[user.key] = user
        }
        try rememberRows(results[1].rows, of: rows, on: workspaceID)
        for key in groupsWanted { groupsOfUser[key] = [] }
        for row in results[2].rows { groupsOfUser[try row.string(0), default: []].insert(try row.string(1)) }
    }

    // MARK: LedgerReader

    func user(key: String) throws -> UserRecord? {
        if let known = users[key] { return known }
        let user = try base.user(key: key)
        users[key] = .some(user)
        return user
    }

    func userCount() throws -> Int {
        try sendWrites(touching: [.currentUsers])
        return try base.userCount()
    }

    /// Reads every active user's record with their keys (the members of `Everyone`, whose rows
    /// a share with it recomputes next).
    func activeUserKeys() throws -> [String] {
        try sendWrites(touching: [.currentUsers])
        let rows = try connection.queryPrepared(
            "SELECT \(PostgresLedger.userColumns) FROM users WHERE status = 'active' ORDER BY key")
        return try rows.rows.map { row in
            let user = try PostgresLedger.user(row)
            users[user.key] = user
            return user.key
        }
    }

    func activeUserCount() throws -> Int {
        try sendWrites(touching: [.currentUsers])
        return try base.activeUserCount()
    }

    func group(key: String) throws -> GroupRecord? {
        if let known = groups[key] { return known }
        let group = try base.group(key: key)
        groups[key] = .some(group)
        return group
    }

    func memberKeys(ofGroup groupKey: String) throws -> [String] {
        if let known = members[groupKey] { return known.sorted() }
        try sendWrites(touching: [.currentMembers])
        let keys = try base.memberKeys(ofGroup: groupKey)
        members[groupKey] = Set(keys)
        return keys
    }

    func activeMemberCount(ofGroup groupKey: String) throws -> Int {
        try sendWrites(touching: [.currentMembers, .currentUsers])
        return try base.activeMemberCount(ofGroup: groupKey)
    }

    func groupKeys(ofUser userKey: String) throws -> [String] {
        if let known = groupsOfUser[userKey] { return known.sorted() }
        try sendWrites(touching: [.currentMembers])
        let keys = try base.groupKeys(ofUser: userKey)
        groupsOfUser[userKey] = Set(keys)
        return keys
    }

    func workspace(id: Int64) throws -> WorkspaceRecord? {
        if let known = workspaces[id] { return known }
        let workspace = try base.workspace(id: id)
        workspaces[id] = .some(workspace)
        return workspace
    }

    func workspace(ownerKey: String, nameKey: String) throws -> WorkspaceRecord? {
        func holds(_ workspace: WorkspaceRecord) -> Bool {
            workspace.ownerKey == ownerKey && workspace.nameKey == nameKey && workspace.status != .deleted
        }
        // A remembered workspace is as the writes left it; at most one live workspace holds a name.
        if let known = workspaces.values.lazy.compactMap({ $0 }).first(where: holds) { return known }
        guard let found = try base.workspace(ownerKey: ownerKey, nameKey: nameKey) else { return nil }
        guard let known = workspaces[found.id] else {
            workspaces[found.id] = found
            return found
        }
        return known.flatMap { holds($0) ? $0 : nil }
    }

    func workspaceCount(ownerKey: String) throws -> Int {
        try sendWrites(touching: [.currentWorkspaces])
        return try base.workspaceCount(ownerKey: ownerKey)
    }

    func nextWorkspaceID() throws -> Int64 {
        try sendWrites(touching: [.currentWorkspaces])
        return try base.nextWorkspaceID()
    }

    func acl(workspaceID: Int64) throws -> WorkspaceACL {
        if let known = acls[workspaceID] { return known }
        try sendWrites(touching: [.userEntries, .groupEntries])
        let acl = try base.acl(workspaceID: workspaceID)
        acls[workspaceID] = acl
        return acl
    }

    func workspaceIDs(sharedWithUser userKey: String) throws -> [Int64] {
        try sendWrites(touching: [.userEntries])
        return try base.workspaceIDs(sharedWithUser: userKey)
    }

    func workspaceIDs(sharedWithGroup groupKey: String) throws -> [Int64] {
        try sendWrites(touching: [.groupEntries])
        return try base.workspaceIDs(sharedWithGroup: groupKey)
    }

    func workspaceIDs(sharedWithGroupsOfUser userKey: String) throws -> [Int64] {
        try sendWrites(touching: [.groupEntries, .currentMembers])
        return try base.workspaceIDs(sharedWithGroupsOfUser: userKey)
    }

    func accessRow(workspaceID: Int64, userKey: String) throws -> AccessRow? {
        let key = AccessKey(workspaceID: workspaceID, userKey: userKey)
        if let known = access[key] { return known }
        if completeAccess.contains(workspaceID) { return nil }
        let row = try base.accessRow(workspaceID: workspaceID, userKey: userKey)
        if let row { rememberRead(row) } else { rememberAbsent(workspaceID, userKey) }
        return access[key] ?? nil
    }

    func accessRows(workspaceID: Int64) throws -> [AccessRow] {
        if !completeAccess.contains(workspaceID) {
            // Rows remembered (read or written) stay as they are; the others come from the table.
            for row in try base.accessRows(workspaceID: workspaceID)
            where access[AccessKey(workspaceID: workspaceID, userKey: row.userKey)] == nil {
                rememberRead(row)
            }
            completeAccess.insert(workspaceID)
        }
        return (accessKeys[workspaceID] ?? []).sorted().compactMap {
            access[AccessKey(workspaceID: workspaceID, userKey: $0)] ?? nil
        }
    }

    func accessRows(userKey: String) throws -> [AccessRow] {
        try sendWrites(touching: [.currentAccess, .currentWorkspaces])
        return try base.accessRows(userKey: userKey)
    }

    func pendingAccessRows(workspaceID: Int64) throws -> [AccessRow] {
        if let rows = pending[workspaceID] { return rows }
        try sendWrites(touching: [.currentAccess, .currentWorkspaces])
        return try base.pendingAccessRows(workspaceID: workspaceID)
    }

    func token(userKey: String, nameKey: String) throws -> TokenRecord? {
        try sendWrites(touching: [.currentTokens])
        return try base.token(userKey: userKey, nameKey: nameKey)
    }

    func tokens(userKey: String) throws -> [TokenRecord] {
        try sendWrites(touching: [.currentTokens])
        return try base.tokens(userKey: userKey)
    }

    func webhook(key: String) throws -> WebhookRecord? {
        try sendWrites(touching: [.currentWebhooks])
        return try base.webhook(key: key)
    }

    func webhooks() throws -> [WebhookRecord] {
        try sendWrites(touching: [.currentWebhooks])
        return try base.webhooks()
    }

    /// Remembers an access row read from the table, as the workspace remembered here (whose
    /// status may have been written since) makes it read.
    private func rememberRead(_ row: AccessRow) {
        var row = row
        if let workspace = workspaces[row.workspaceID] ?? nil {
            row = row.observed(running: workspace.status == .running)
        }
        remember(row.workspaceID, row.userKey, row)
    }

    /// Remembers the access rows `result` read of these users on this workspace, and that the
    /// others have none.
    private func rememberRows(_ rows: [Row], of userKeys: [String], on workspaceID: Int64) throws {
        var absent = Set(userKeys)
        for row in rows {
            let access = try PostgresLedger.access(row)
            absent.remove(access.userKey)
            rememberRead(access)
        }
        for key in absent { rememberAbsent(workspaceID, key) }
    }

    /// Remembers that the table holds no row of this user on this workspace.
    private func rememberAbsent(_ workspaceID: Int64, _ userKey: String) {
        remember(workspaceID, userKey, nil)
        readAbsent.insert(AccessKey(workspaceID: workspaceID, userKey: userKey))
    }

    private func write(accessOf workspaceID: Int64, _ userKey: String, _ row: AccessRow?) {
        pending[workspaceID] = nil
        remember(workspaceID, userKey, row)
        write(
            .currentAccess, key: TableShape.accessKey(workspaceID, userKey), values: row.map(TableShape.accessValues))
    }

    private func remember(_ workspaceID: Int64, _ userKey: String, _ row: AccessRow?) {
        access[AccessKey(workspaceID: workspaceID, userKey: userKey)] = .some(row)
        accessKeys[workspaceID, default: []].insert(userKey)
    }

    // MARK: LedgerWriter

    func upsertUser(_ user: UserRecord) throws {
        users[user.key] = user
        let row = TableRow.user(user)
        write(.currentUsers, key: row.key, values: row.values)
    }

    func upsertGroup(_ group: GroupRecord) throws {
        groups[group.key] = group
        let row = TableRow.group(group, withSource: true)
        write(.currentGroups, key: row.key, values: row.values)
    }

    func addMember(groupKey: String, userKey: String) throws {
        members[groupKey]?.insert(userKey)
        groupsOfUser[userKey]?.insert(groupKey)
        write(.currentMembers, key: TableRow.member(groupKey: groupKey, userKey: userKey), values: [])
    }

    func removeMember(groupKey: String, userKey: String) throws {
        members[groupKey]?.remove(userKey)
        groupsOfUser[userKey]?.remove(groupKey)
        write(.currentMembers, key: TableRow.member(groupKey: groupKey, userKey: userKey), values: nil)
    }

    func upsertWorkspace(_ workspace: WorkspaceRecord) throws {
        workspaces[workspace.id] = workspace
        pending[workspace.id] = nil
        // Access rows read as the workspace's status makes them.
        let running = workspace.status == .running
        for userKey in accessKeys[workspace.id] ?? [] {
            let key = AccessKey(workspaceID: workspace.id, userKey: userKey)
            if let row = access[key] ?? nil { access[key] = row.observed(running: running) }
        }
        let row = TableRow.workspace(workspace)
        write(.currentWorkspaces, key: row.key, values: row.values)
    }

    func setUserEntry(workspaceID: Int64, entry: ShareEntry) throws {
        acls[workspaceID]?.set(entry, in: \.users)
        let row = TableRow.entry(workspaceID: workspaceID, entry)
        write(.userEntries, key: row.key, values: row.values)
    }

    func removeUserEntry(workspaceID: Int64, userKey: String) throws {
        acls[workspaceID]?.users.removeAll { $0.key == userKey }
        write(.userEntries, key: [.int64(workspaceID), .text(userKey)], values: nil)
    }

    func setGroupEntry(workspaceID: Int64, entry: ShareEntry) throws {
        acls[workspaceID]?.set(entry, in: \.groups)
        let row = TableRow.entry(workspaceID: workspaceID, entry)
        write(.groupEntries, key: row.key, values: row.values)
    }

    func removeGroupEntry(workspaceID: Int64, groupKey: String) throws {
        acls[workspaceID]?.groups.removeAll { $0.key == groupKey }
        write(.groupEntries, key: [.int64(workspaceID), .text(groupKey)], values: nil)
    }

    func upsertAccessRow(_ row: AccessRow, position: Int64, occurredAt: Timestamp) throws {
        write(accessOf: row.workspaceID, row.userKey, row)
    }

    func deleteAccessRow(workspaceID: Int64, userKey: String, position: Int64, occurredAt: Timestamp) throws {
        write(accessOf: workspaceID, userKey, nil)
    }

    func upsertToken(_ token: TokenRecord) throws {
        let row = TableRow.token(token)
        write(.currentTokens, key: row.key, values: row.values)
    }

    func upsertWebhook(_ webhook: WebhookRecord) throws {
        let row = TableRow.webhook(webhook)
        write(.currentWebhooks, key: row.key, values: row.values)
    }

    func removeWebhook(key: String) throws {
        write(.currentWebhooks, key: [.text(key)], values: nil)
    }
}
