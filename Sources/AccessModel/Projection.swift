/// Applies events to the projected state: users, groups, memberships, workspaces, ACLs, tokens,
/// and the access rows of SPEC §3. The same code runs in memory (tests, replay) and against the
/// PostgreSQL tables (any ``LedgerWriter``).
///
/// ## Access rows: what effective, live and pending mean
///
/// For a workspace W and a user U:
/// - **effective role** = the highest of U's direct ACL role and the roles of every group in W's
///   ACL that U belongs to (`Everyone` included: every active user), or none when U is not active,
///   W is deleted, or U owns W (the owner's access is implicit, not shared).
/// - **via** = every ACL entry giving U a role: `user` first, then `group:NAME` sorted by name;
///   empty when the effective role is none.
/// - **live role** = while W is running, the highest effective role U held since W last started
///   (creation counts as a start); none while W is stopped or deleted.
/// - **state** = `pending_revocation` when the live role is higher than the effective role, else
///   `active`. So every loss of access while running leaves a pending revocation — removal from
///   the ACL, a group unshared, a downgrade from admin to use, leaving a group (edit or sync), the
///   user suspended or deleted, the group deleted — and loss while stopped is immediate.
/// - start and restart set every live role to the effective role (pending revocations end); stop
///   clears them. A row exists while the effective or the live role is not none. Stores keep the
///   live role only where it differs from what the status implies (``AccessRow/heldRole``), so a
///   start, stop or restart rewrites only the rows pending revocation.
///
/// Each event recomputes only the (workspace, user) pairs it can affect, found through the
/// indexed reads of ``LedgerReader``, so its cost follows the size of the change.
public enum Projection {
    /// Decodes a recorded event and applies it at its position and time.
    /// - Throws: ``EventDecodingError`` for an unreadable event, ``ProjectionError`` when it does
    ///   not fit the state, or what the ledger throws.
    public static func apply(_ recorded: RecordedEvent, to ledger: some LedgerWriter) throws {
        let event = try LedgerEvent(recorded: recorded)
        try apply(event, position: recorded.position, occurredAt: recorded.occurredAt, to: ledger)
    }

    /// Applies one event that is (or is about to be) at `position` of the log, occurring at `occurredAt`.
    /// - Throws: ``ProjectionError`` when the event does not fit the state, or what the ledger throws.
    public static func apply(
        _ event: LedgerEvent, position: Int64, occurredAt: Timestamp, to ledger: some LedgerWriter
    ) throws {
        let step = Step(ledger: ledger, position: position, occurredAt: occurredAt, type: event.type.rawValue)
        try step.apply(event)
    }

    /// The effective role of a user on a workspace, and the entries that give it (SPEC §3).
    /// - Parameters:
    ///   - user: the user (`nil` when unknown: no access).
    ///   - workspace: the workspace.
    ///   - acl: the workspace's ACL.
    ///   - groupKeys: keys of the stored groups the user belongs to (`Everyone` is implied by
    ///     the user being active).
    /// - Returns: the role (`nil` = none) and `via` (`user` first, then `group:NAME` by name).
    public static func effectiveAccess(
        of user: UserRecord?, on workspace: WorkspaceRecord, acl: WorkspaceACL, groupKeys: Set<String>
    ) -> (role: WorkspaceRole?, via: [String]) {
        guard let user, user.isActive, workspace.status != .deleted, user.key != workspace.ownerKey else {
            return (nil, [])
        }
        var role: WorkspaceRole? = nil
        var via: [String] = []
        if let direct = acl.role(ofUser: user.key) {
            role = direct
            via.append("user")
        }
        // acl.groups is sorted by key (WorkspaceACL), so via lists the groups by name.
        for entry in acl.groups where entry.key == GroupRecord.everyoneKey || groupKeys.contains(entry.key) {
            role = WorkspaceRole.highest(role, entry.role)
            via.append("group:\(entry.name)")
        }
        return (role, via)
    }
}

/// One event being applied.
private struct Step<Ledger: LedgerWriter> {
    let ledger: Ledger
    let position: Int64
    let occurredAt: Timestamp
    let type: String

    init(ledger: Ledger, position: Int64, occurredAt: Timestamp, type: String) {
        self.ledger = ledger
        self.position = position
        self.occurredAt = occurredAt
        self.type = type
    }

    func fail(_ problem: String) -> ProjectionError {
        ProjectionError(position: position, type: type, problem: problem)
    }

    func apply(_ event: LedgerEvent) throws {
        switch event {
        case .userCreated(let username, let kind, let role):
            try ledger.upsertUser(UserRecord(username: username, kind: kind, role: role, status: .active))
            try refreshEverywhere(userKey: Name.key(username))

        case .userRoleChanged(let username, _, let role):
            var user = try existingUser(username)
            user.role = role
            try ledger.upsertUser(user)

        case .userSuspended(let username):
            var user = try existingUser(username)
            user.status = .suspended
            try ledger.upsertUser(user)
            try refresh(workspaceIDs: try ledger.accessRows(userKey: user.key).map(\.workspaceID), userKey: user.key)

        case .userActivated(let username):
            var user = try existingUser(username)
            user.status = .active
            try ledger.upsertUser(user)
            try refreshEverywhere(userKey: user.key)

        case .userDeleted(let username):
            var user = try existingUser(username)
            let affected = try ledger.accessRows(userKey: user.key).map(\.workspaceID)
            user.status = .deleted
            try ledger.upsertUser(user)
            for groupKey in try ledger.groupKeys(ofUser: user.key) {
                try ledger.removeMember(groupKey: groupKey, userKey: user.key)
            }
            for id in try ledger.workspaceIDs(sharedWithUser: user.key) {
                try ledger.removeUserEntry(workspaceID: id, userKey: user.key)
            }
            for var token in try ledger.tokens(userKey: user.key) where token.revokedAt == nil {
                token.revokedAt = occurredAt
                try ledger.upsertToken(token)
            }
            try refresh(workspaceIDs: affected, userKey: user.key)

        case .tokenCreated(let username, let name, let lifetime, let hash):
            let (micros, tooLong) = lifetime.multipliedReportingOverflow(by: 1_000_000)
            let (expiry, tooLate) = occurredAt.microseconds.addingReportingOverflow(micros)
            guard !tooLong, !tooLate else { throw fail("lifetime \(lifetime)s is out of range") }
            try ledger.upsertToken(
                TokenRecord(
                    username: username, name: name, lifetimeSeconds: lifetime, secretSHA256: hash,
                    createdAt: occurredAt, expiresAt: Timestamp(microseconds: expiry)))

        case .tokenRevoked(let username, let name):
            guard var token = try ledger.token(userKey: Name.key(username), nameKey: Name.key(name)) else {
                throw fail("no token \(quoted(name)) of user \(quoted(username))")
            }
            token.revokedAt = occurredAt
            try ledger.upsertToken(token)

        case .groupCreated(let name, let source):
            guard Name.key(name) != GroupRecord.everyoneKey else { throw fail("Everyone is built in") }
            try ledger.upsertGroup(GroupRecord(name: name, source: source, isDeleted: false))

        case .groupDeleted(let name):
            var group = try existingGroup(name)
            let workspaceIDs = try ledger.workspaceIDs(sharedWithGroup: group.key)
            let members = try ledger.memberKeys(ofGroup: group.key)
            for id in workspaceIDs { try ledger.removeGroupEntry(workspaceID: id, groupKey: group.key) }
            for member in members { try ledger.removeMember(groupKey: group.key, userKey: member) }
            group.isDeleted = true
            try ledger.upsertGroup(group)
            for id in workspaceIDs { try refresh(workspaceID: id, userKeys: members) }

        case .groupMembersAdded(let name, let usernames):
            let group = try existingGroup(name)
            let keys = usernames.map(Name.key)
            for key in keys { try ledger.addMember(groupKey: group.key, userKey: key) }
            for id in try ledger.workspaceIDs(sharedWithGroup: group.key) {
                try refresh(workspaceID: id, userKeys: keys)
            }

        case .groupMembersRemoved(let name, let usernames):
            let group = try existingGroup(name)
            let keys = usernames.map(Name.key)
            for key in keys { try ledger.removeMember(groupKey: group.key, userKey: key) }
            for id in try ledger.workspaceIDs(sharedWithGroup: group.key) {
                try refresh(workspaceID: id, userKeys: keys)
            }

        case .groupSynced(let sync):
            let userKey = Name.key(sync.username)
            _ = try existingUser(sync.username)
            var touched: Set<Int64> = []
            for name in sync.removed {
                let group = try existingGroup(name)
                try ledger.removeMember(groupKey: group.key, userKey: userKey)
                touched.formUnion(try ledger.workspaceIDs(sharedWithGroup: group.key))
            }
            for name in sync.added {
                let group = try existingGroup(name)
                try ledger.addMember(groupKey: group.key, userKey: userKey)
                touched.formUnion(try ledger.workspaceIDs(sharedWithGroup: group.key))
            }
            try refresh(workspaceIDs: Array(touched), userKey: userKey)

        case .workspaceCreated(let identity, let template):
            guard try ledger.workspace(id: identity.id) == nil else { throw fail("workspace \(identity.id) exists") }
            try ledger.upsertWorkspace(
                WorkspaceRecord(
                    id: identity.id, owner: identity.owner, name: identity.name, template: template,
                    status: .running))

        case .workspaceStarted(let identity), .workspaceRestarted(let identity):
            try setStatus(.running, of: identity)

        case .workspaceStopped(let identity):
            try setStatus(.stopped, of: identity)

        case .workspaceRenamed(let identity, let newName):
            var workspace = try existingWorkspace(identity)
            workspace.name = newName
            try ledger.upsertWorkspace(workspace)

        case .workspaceDeleted(let identity):
            var workspace = try existingWorkspace(identity)
            let acl = try ledger.acl(workspaceID: workspace.id)
            for entry in acl.users { try ledger.removeUserEntry(workspaceID: workspace.id, userKey: entry.key) }
            for entry in acl.groups { try ledger.removeGroupEntry(workspaceID: workspace.id, groupKey: entry.key) }
            workspace.status = .deleted
            try ledger.upsertWorkspace(workspace)
            for row in try ledger.accessRows(workspaceID: workspace.id).sorted(by: { $0.userKey < $1.userKey }) {
                try ledger.deleteAccessRow(
                    workspaceID: workspace.id, userKey: row.userKey, position: position, occurredAt: occurredAt)
            }

        case .workspaceShared(let identity, let users, let groups):
            let workspace = try existingWorkspace(identity)
            var affected = Set(users.map(\.key))
            for entry in users { try ledger.setUserEntry(workspaceID: workspace.id, entry: entry) }
            for entry in groups {
                try ledger.setGroupEntry(workspaceID: workspace.id, entry: entry)
                affected.formUnion(try members(ofGroupKey: entry.key, workspaceID: workspace.id, joining: true))
            }
            try refresh(workspaceID: workspace.id, userKeys: affected)

        case .webhookAdded(let webhook):
            try ledger.upsertWebhook(webhook)

        case .webhookRemoved(let name):
            try ledger.removeWebhook(key: Name.key(name))

        case .workspaceUnshared(let identity, let users, let groups):
            let workspace = try existingWorkspace(identity)
            var affected = Set(users.map(Name.key))
            for name in groups {
                affected.formUnion(try members(ofGroupKey: Name.key(name), workspaceID: workspace.id, joining: false))
            }
            for key in users.map(Name.key) { try ledger.removeUserEntry(workspaceID: workspace.id, userKey: key) }
            for key in groups.map(Name.key) { try ledger.removeGroupEntry(workspaceID: workspace.id, groupKey: key) }
            try refresh(workspaceID: workspace.id, userKeys: affected)
        }
    }

    // MARK: Lookups

    func existingUser(_ username: String) throws -> UserRecord {
        guard let user = try ledger.user(key: Name.key(username)) else { throw fail("no user \(quoted(username))") }
        return user
    }

    func existingGroup(_ name: String) throws -> GroupRecord {
        guard let group = try ledger.group(key: Name.key(name)) else { throw fail("no group \(quoted(name))") }
        return group
    }

    func existingWorkspace(_ identity: WorkspaceIdentity) throws -> WorkspaceRecord {
        guard let workspace = try ledger.workspace(id: identity.id) else { throw fail("no workspace \(identity.id)") }
        guard workspace.status != .deleted else { throw fail("workspace \(identity.id) is deleted") }
        return workspace
    }

    /// The users a change of a group's entry on a workspace can affect. For `Everyone`: every
    /// active user when it joins the ACL, and everyone holding a row when it leaves.
    func members(ofGroupKey key: String, workspaceID: Int64, joining: Bool) throws -> [String] {
        guard key == GroupRecord.everyoneKey else { return try ledger.memberKeys(ofGroup: key) }
        if joining { return try ledger.activeUserKeys() }
        return try ledger.accessRows(workspaceID: workspaceID).map(\.userKey)
    }

    // MARK: Access rows

    /// Recomputes the user's rows on every workspace where they may have or gain access.
    func refreshEverywhere(userKey: String) throws {
        var ids = Set(try ledger.accessRows(userKey: userKey).map(\.workspaceID))
        ids.formUnion(try ledger.workspaceIDs(sharedWithUser: userKey))
        ids.formUnion(try ledger.workspaceIDs(sharedWithGroupsOfUser: userKey))
        ids.formUnion(try ledger.workspaceIDs(sharedWithGroup: GroupRecord.everyoneKey))
        try refresh(workspaceIDs: Array(ids), userKey: userKey)
    }

    /// Recomputes one user's rows on many workspaces, reading the user and their groups once.
    func refresh(workspaceIDs: [Int64], userKey: String) throws {
        let user = try ledger.user(key: userKey)
        var groupKeys: Set<String>?
        for id in Set(workspaceIDs).sorted() {
            guard let workspace = try ledger.workspace(id: id) else { throw fail("no workspace \(id)") }
            let acl = try ledger.acl(workspaceID: id)
            if groupKeys == nil, Step.needsGroups(acl, user) { groupKeys = Set(try ledger.groupKeys(ofUser: userKey)) }
            try recompute(workspace, acl: acl, userKey: userKey, user: user, groupKeys: groupKeys ?? [])
        }
    }

    /// Recomputes the rows of these users on one workspace.
    func refresh(workspaceID: Int64, userKeys: some Collection<String>) throws {
        guard !userKeys.isEmpty else { return }
        guard let workspace = try ledger.workspace(id: workspaceID) else { throw fail("no workspace \(workspaceID)") }
        let acl = try ledger.acl(workspaceID: workspaceID)
        let keys = Set(userKeys).sorted()
        try ledger.prefetch(userKeys: keys, workspaceID: workspaceID)
        for key in keys {
            let user = try ledger.user(key: key)
            let groupKeys = Step.needsGroups(acl, user) ? Set(try ledger.groupKeys(ofUser: key)) : []
            try recompute(workspace, acl: acl, userKey: key, user: user, groupKeys: groupKeys)
        }
    }

    /// Whether the user's stored groups matter on this ACL (some stored group is in it and the
    /// user is active); `Everyone` needs no lookup.
    static func needsGroups(_ acl: WorkspaceACL, _ user: UserRecord?) -> Bool {
        user?.isActive == true && acl.groups.contains { $0.key != GroupRecord.everyoneKey }
    }

    /// The row of one user on one workspace: effective role and via from the ACL and memberships,
    /// live role raised to the effective role while running.
    func recompute(
        _ workspace: WorkspaceRecord, acl: WorkspaceACL, userKey key: String, user: UserRecord?, groupKeys: Set<String>
    ) throws {
        let (role, via) = Projection.effectiveAccess(of: user, on: workspace, acl: acl, groupKeys: groupKeys)
        let existing = try ledger.accessRow(workspaceID: workspace.id, userKey: key)
        let live = workspace.status == .running ? WorkspaceRole.highest(existing?.liveRole, role) : nil
        let username = user?.username ?? existing?.username ?? key
        try store(
            workspaceID: workspace.id, userKey: key, username: username, role: role, live: live, via: via,
            existing: existing)
    }

    /// Writes a row only when it changed; deletes it when both roles are none.
    func store(
        workspaceID: Int64, userKey: String, username: String, role: WorkspaceRole?, live: WorkspaceRole?,
        via: [String], existing: AccessRow?
    ) throws {
        if role == nil && live == nil {
            if existing != nil {
                try ledger.deleteAccessRow(
                    workspaceID: workspaceID, userKey: userKey, position: position, occurredAt: occurredAt)
            }
            return
        }
        let row = AccessRow(workspaceID: workspaceID, username: username, role: role, liveRole: live, via: via)
        if row != existing { try ledger.upsertAccessRow(row, position: position, occurredAt: occurredAt) }
    }

    /// Start, restart (live := effective) or stop (live := none) a workspace. Rows that are not
    /// pending revocation read the same before and after (their live role follows the status),
    /// so only the pending ones are rewritten: read before the status changes, ended after.
    func setStatus(_ status: WorkspaceStatus, of identity: WorkspaceIdentity) throws {
        var workspace = try existingWorkspace(identity)
        let pending = try ledger.pendingAccessRows(workspaceID: workspace.id).sorted { $0.userKey < $1.userKey }
        workspace.status = status
        try ledger.upsertWorkspace(workspace)
        for row in pending {
            let live = status == .running ? row.role : nil
            try store(
                workspaceID: workspace.id, userKey: row.userKey, username: row.username, role: row.role, live: live,
                via: row.via, existing: row)
        }
    }
}
