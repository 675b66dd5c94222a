/// Who may do what (SPEC §2): one decision function from a command and the current state to
/// the events to append, or a ``Refusal``.
///
/// Checks run in this order, so the first problem found is the one reported:
/// 1. the input's syntax (names, roles, lifetimes, lists) — exit 2;
/// 2. the actor: given, existing (exit 2) and active (exit 3);
/// 3. the entities named: unknown users, groups, workspaces, tokens — exit 2;
/// 4. permissions, then the further rules (own ACL entry, owner in ACL, deleted users and groups,
///    token lifetimes, names already taken) — exit 3.
///
/// **Already in effect.** A command whose effect is already in place is not an error and appends
/// nothing (``Decision/isNoOp``): sharing with the role already held, removing an entry that is
/// not there, adding a member who is one, starting a running or stopping a stopped workspace,
/// suspending a suspended user, activating an active one, deleting a deleted user or group,
/// revoking a revoked token, setting the site role a user has, renaming to the same spelling.
/// Only the changes are recorded (sharing `alice:admin,bob` when alice is already admin records
/// bob alone). All checks still run first, so a no-op by someone without permission is refused.
/// Exceptions: `restart` always appends (it ends pending revocations and open sessions), and
/// `groups sync` always appends `group_synced` (every IdP login is recorded).
///
/// **Names.** A name listed twice in one command (case-insensitively) is an error (exit 2).
/// Creating a user, group, workspace or token whose name is taken is refused (exit 3); the names
/// of deleted users and groups and of revoked tokens may be created again, starting a new
/// lifetime on the same stream (deletion has ended all their memberships, ACL entries and tokens).
///
/// **Beyond the table of §2** (where the SPEC is silent): nobody can suspend, delete or change
/// the site role of themself; a user who owns workspaces cannot be deleted; tokens are created
/// only for active users and revoked under the same permission as created; workspaces are
/// created only for active owners; `groups sync` is recorded only for active users (only they
/// log in); the built-in `Everyone` cannot be created, edited, synced or deleted (listing it in a
/// sync is accepted and changes nothing).
public enum Rules {
    /// Decides what `command`, run by `actor`, appends.
    ///
    /// - Parameters:
    ///   - command: the command as given on the command line.
    ///   - actor: `--as` / `ACCESSLEDGER_ACTOR`; may be `nil` only for the bootstrap (the first
    ///     `users create`, which must create a site `owner`).
    ///   - reader: the state now (inside the appending transaction, after taking the append lock).
    /// - Returns: the events (possibly none) and the actor to record.
    /// - Throws: ``Refusal`` (exit 2 or 3) when the command is refused, or what the reader throws.
    public static func decide(_ command: Command, actor: String?, reader: some LedgerReader) throws -> Decision {
        try command.checkSyntax()
        if case .createUser(let username, let serviceAccount, let role) = command, try reader.userCount() == 0 {
            return try bootstrap(username: username, serviceAccount: serviceAccount, role: role, actor: actor)
        }
        let actorRecord = try resolveActor(actor, reader: reader)
        let decider = Decider(reader: reader, actor: actorRecord)
        return Decision(events: try decider.decide(command), actor: actorRecord.username)
    }

    static func bootstrap(username: String, serviceAccount: Bool, role: String?, actor: String?) throws -> Decision {
        let name = try Name(username, kind: .user)
        let siteRole = try role.map { text throws(Refusal) in try SiteRole(parsing: text) } ?? .owner
        var recorded = name.value
        if let actor, !actor.isEmpty {
            guard Name.isValid(actor) else {
                throw Refusal.invalidInput("invalid actor \(quoted(actor)): \(Name.ruleDescription)")
            }
            recorded = actor
        }
        guard siteRole == .owner else {
            throw Refusal.notPermitted(
                "the first user must have site role \"owner\", not \(quoted(siteRole.rawValue)): "
                    + "the ledger has no users yet")
        }
        let kind: UserKind = serviceAccount ? .serviceAccount : .human
        return Decision(events: [.userCreated(username: name.value, kind: kind, role: .owner)], actor: recorded)
    }

    static func resolveActor(_ actor: String?, reader: some LedgerReader) throws -> UserRecord {
        guard let actor, !actor.isEmpty else {
            throw Refusal.invalidInput("no actor: give --as USER or set ACCESSLEDGER_ACTOR")
        }
        guard Name.isValid(actor) else {
            throw Refusal.invalidInput("invalid actor \(quoted(actor)): \(Name.ruleDescription)")
        }
        guard let user = try reader.user(key: Name.key(actor)) else {
            throw Refusal.invalidInput("unknown actor \(quoted(actor)): no such user")
        }
        guard user.isActive else {
            throw Refusal.notPermitted(
                "actor \(quoted(user.username)) is \(user.status.rawValue): only active users can act")
        }
        return user
    }
}

/// The decision for one command by one active actor.
private struct Decider<Reader: LedgerReader> {
    let reader: Reader
    let actor: UserRecord

    var actorName: String { "user \(quoted(actor.username))" }
    var actorIsSiteOwner: Bool { actor.role == .owner }

    func decide(_ command: Command) throws -> [LedgerEvent] {
        switch command {
        case .createUser(let username, let serviceAccount, let role):
            return try createUser(username, serviceAccount: serviceAccount, role: role)
        case .suspendUser(let username): return try suspendUser(username)
        case .activateUser(let username): return try activateUser(username)
        case .deleteUser(let username): return try deleteUser(username)
        case .setUserRole(let username, let role): return try setUserRole(username, role: role)
        case .createToken(let user, let name, let lifetime, let hash):
            return try createToken(user: user, name: name, lifetime: lifetime, hash: hash)
        case .revokeToken(let user, let name): return try revokeToken(user: user, name: name)
        case .createGroup(let name): return try createGroup(name)
        case .editGroup(let name, let add, let remove): return try editGroup(name, add: add, remove: remove)
        case .deleteGroup(let name): return try deleteGroup(name)
        case .syncGroups(let user, let groups, let createMissing):
            return try syncGroups(user: user, groups: groups, createMissing: createMissing)
        case .createWorkspace(let workspace, let template): return try createWorkspace(workspace, template: template)
        case .startWorkspace(let workspace):
            let w = try operate(workspace, verb: "start")
            return w.status == .running ? [] : [.workspaceStarted(w.identity)]
        case .stopWorkspace(let workspace):
            let w = try operate(workspace, verb: "stop")
            return w.status == .stopped ? [] : [.workspaceStopped(w.identity)]
        case .restartWorkspace(let workspace):
            let w = try operate(workspace, verb: "restart")
            return [.workspaceRestarted(w.identity)]
        case .renameWorkspace(let workspace, let newName): return try renameWorkspace(workspace, newName: newName)
        case .deleteWorkspace(let workspace): return try deleteWorkspace(workspace)
        case .share(let workspace, let users, let groups): return try share(workspace, users: users, groups: groups)
        case .unshare(let workspace, let users, let groups):
            return try unshare(workspace, users: users, groups: groups)
        case .rotate(let workspace, let outgoing, let incoming, let restart):
            return try rotate(workspace, outgoing: outgoing, incoming: incoming, restart: restart)
        case .addWebhook(let name, let url, let types, _):
            let webhook = try WebhookRecord(parsingName: name, url: url, types: types)
            try requireUserManager("add webhooks")
            if let existing = try reader.webhook(key: webhook.key) {
                throw Refusal.notPermitted("webhook \(quoted(existing.name)) already exists")
            }
            return [.webhookAdded(webhook)]
        case .removeWebhook(let name):
            let webhookName = try Name(name, kind: .webhook)
            try requireUserManager("remove webhooks")
            guard let existing = try reader.webhook(key: webhookName.key) else {
                throw Refusal.invalidInput("unknown webhook \(quoted(webhookName.value))")
            }
            return [.webhookRemoved(name: existing.name)]
        }
    }

    // MARK: Lookups

    func existingUser(_ name: Name) throws -> UserRecord {
        guard let user = try reader.user(key: name.key) else {
            throw Refusal.invalidInput("unknown user \(quoted(name.value))")
        }
        return user
    }

    /// A stored group (deleted ones too) or the built-in `Everyone`.
    func existingGroup(_ name: Name) throws -> GroupRecord {
        if name.key == GroupRecord.everyoneKey { return GroupRecord.everyone }
        guard let group = try reader.group(key: name.key) else {
            throw Refusal.invalidInput("unknown group \(quoted(name.value))")
        }
        return group
    }

    func existingWorkspace(_ reference: WorkspaceReference) throws -> WorkspaceRecord {
        try reference.resolve(in: reader)
    }

    // MARK: Permissions

    func requireUserManager(_ action: String) throws {
        guard actor.role.managesUsers else {
            throw Refusal.notPermitted("\(actorName) may not \(action): only a site owner or user-admin may")
        }
    }

    func actorRole(on workspace: WorkspaceRecord) throws -> WorkspaceRole? {
        try reader.accessRow(workspaceID: workspace.id, userKey: actor.key)?.role
    }

    func isOwner(of workspace: WorkspaceRecord) -> Bool { actor.key == workspace.ownerKey }

    /// Share, remove and rename: the owner, a site owner, or effective `admin`.
    func requireAdmin(_ workspace: WorkspaceRecord, action: String) throws {
        if isOwner(of: workspace) || actorIsSiteOwner { return }
        guard try actorRole(on: workspace) == .admin else {
            throw Refusal.notPermitted(
                "\(actorName) may not \(action) workspace \(quoted(workspace.reference)): only its owner, "
                    + "a site owner or a user with the admin role on it may")
        }
    }

    /// Refuses a non-site-owner who lists their own ACL entry.
    func requireNotSelf(_ userKeys: [String]) throws {
        guard !actorIsSiteOwner, userKeys.contains(actor.key) else { return }
        throw Refusal.notPermitted(
            "\(actorName) cannot be listed: you cannot change your own workspace sharing role")
    }

    // MARK: Users

    func createUser(_ username: String, serviceAccount: Bool, role: String?) throws -> [LedgerEvent] {
        let name = try Name(username, kind: .user)
        let siteRole = try role.map { text throws(Refusal) in try SiteRole(parsing: text) } ?? .member
        try requireUserManager("create users")
        if let existing = try reader.user(key: name.key), existing.status != .deleted {
            throw Refusal.notPermitted("user \(quoted(existing.username)) already exists")
        }
        return [.userCreated(username: name.value, kind: serviceAccount ? .serviceAccount : .human, role: siteRole)]
    }

    /// The target of suspend, activate, delete and set-role, after the common checks.
    func managedUser(_ username: String, action: String, selfMessage: String) throws -> UserRecord {
        let user = try existingUser(try Name(username, kind: .user))
        try requireUserManager(action)
        guard user.key != actor.key else { throw Refusal.notPermitted(selfMessage) }
        return user
    }

    func suspendUser(_ username: String) throws -> [LedgerEvent] {
        let user = try managedUser(username, action: "suspend users", selfMessage: "you cannot suspend yourself")
        switch user.status {
        case .deleted: throw Refusal.notPermitted("user \(quoted(user.username)) is deleted and cannot be suspended")
        case .suspended: return []
        case .active: return [.userSuspended(username: user.username)]
        }
    }

    func activateUser(_ username: String) throws -> [LedgerEvent] {
        let user = try managedUser(username, action: "activate users", selfMessage: "you cannot activate yourself")
        switch user.status {
        case .deleted: throw Refusal.notPermitted("user \(quoted(user.username)) is deleted and cannot be activated")
        case .active: return []
        case .suspended: return [.userActivated(username: user.username)]
        }
    }

    func deleteUser(_ username: String) throws -> [LedgerEvent] {
        let user = try managedUser(username, action: "delete users", selfMessage: "you cannot delete yourself")
        if user.status == .deleted { return [] }
        let owned = try reader.workspaceCount(ownerKey: user.key)
        guard owned == 0 else {
            throw Refusal.notPermitted(
                "user \(quoted(user.username)) owns \(owned) workspace\(owned == 1 ? "" : "s"): "
                    + "delete \(owned == 1 ? "it" : "them") before deleting the user")
        }
        return [.userDeleted(username: user.username)]
    }

    func setUserRole(_ username: String, role: String) throws -> [LedgerEvent] {
        let siteRole = try SiteRole(parsing: role)
        let user = try managedUser(
            username, action: "change site roles", selfMessage: "you cannot change your own site role")
        guard user.status != .deleted else {
            throw Refusal.notPermitted("user \(quoted(user.username)) is deleted: its role cannot change")
        }
        if user.role == siteRole { return [] }
        return [.userRoleChanged(username: user.username, from: user.role, to: siteRole)]
    }

    // MARK: Tokens

    func requireTokenPermission(for user: UserRecord, action: String) throws {
        guard user.key == actor.key || actor.role.managesUsers else {
            throw Refusal.notPermitted(
                "\(actorName) may not \(action) tokens of user \(quoted(user.username)): only the user, "
                    + "a site owner or a user-admin may")
        }
    }

    func createToken(user: String, name: String, lifetime: String, hash: String) throws -> [LedgerEvent] {
        let userName = try Name(user, kind: .user)
        let tokenName = try Name(name, kind: .token)
        let parsed = try TokenLifetime(parsing: lifetime)
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw Refusal.invalidInput("invalid secret hash: expected 64 lowercase hex digits of SHA-256")
        }
        let target = try existingUser(userName)
        try requireTokenPermission(for: target, action: "create")
        guard target.isActive else {
            throw Refusal.notPermitted(
                "user \(quoted(target.username)) is \(target.status.rawValue): tokens are created only for active users"
            )
        }
        guard parsed.seconds <= TokenLifetime.maximum.seconds else {
            throw Refusal.notPermitted(
                "token lifetime \(quoted(lifetime)) is too long: at most \(TokenLifetime.maximum)")
        }
        guard target.role != .owner || parsed.seconds <= TokenLifetime.maximumForOwner.seconds else {
            throw Refusal.notPermitted(
                "token lifetime \(quoted(lifetime)) is too long for \(quoted(target.username)), a site owner: "
                    + "at most \(TokenLifetime.maximumForOwner)")
        }
        if let existing = try reader.token(userKey: target.key, nameKey: tokenName.key), !existing.isRevoked {
            throw Refusal.notPermitted(
                "user \(quoted(target.username)) already has a token named \(quoted(existing.name))")
        }
        return [
            .tokenCreated(
                username: target.username, name: tokenName.value, lifetimeSeconds: parsed.seconds, secretSHA256: hash)
        ]
    }

    func revokeToken(user: String, name: String) throws -> [LedgerEvent] {
        let userName = try Name(user, kind: .user)
        let tokenName = try Name(name, kind: .token)
        let target = try existingUser(userName)
        guard let token = try reader.token(userKey: target.key, nameKey: tokenName.key) else {
            throw Refusal.invalidInput("unknown token \(quoted(tokenName.value)) of user \(quoted(target.username))")
        }
        try requireTokenPermission(for: target, action: "revoke")
        if token.isRevoked { return [] }
        return [.tokenRevoked(username: target.username, name: token.name)]
    }

    // MARK: Groups

    func createGroup(_ name: String) throws -> [LedgerEvent] {
        let groupName = try Name(name, kind: .group)
        try requireUserManager("create groups")
        guard groupName.key != GroupRecord.everyoneKey else {
            throw Refusal.notPermitted("group \(quoted(groupName.value)) is built in and cannot be created")
        }
        if let existing = try reader.group(key: groupName.key), !existing.isDeleted {
            throw Refusal.notPermitted("group \(quoted(existing.name)) already exists")
        }
        return [.groupCreated(name: groupName.value, source: .manual)]
    }

    /// Checks that the actor may edit or delete groups, and that `group` is not `Everyone`.
    func requireManageable(_ group: GroupRecord, action: String) throws {
        try requireUserManager("\(action) groups")
        guard !group.isEveryone else {
            throw Refusal.notPermitted(
                "the built-in group \"Everyone\" cannot be \(action == "edit" ? "edited" : "deleted"): "
                    + "it always contains every active user")
        }
    }

    func editGroup(_ name: String, add: [String], remove: [String]) throws -> [LedgerEvent] {
        let groupName = try Name(name, kind: .group)
        let adding = try ShareEntry.parseNames(add, kind: .user)
        let removing = try ShareEntry.parseNames(remove, kind: .user)
        guard !adding.isEmpty || !removing.isEmpty else {
            throw Refusal.invalidInput(
                "nothing to change in group \(quoted(groupName.value)): give --add-users or --rm-users")
        }
        let removingKeys = Set(removing.map(\.key))
        if let both = adding.first(where: { removingKeys.contains($0.key) }) {
            throw Refusal.invalidInput("user \(quoted(both.value)) is both added and removed")
        }
        let group = try existingGroup(groupName)
        let added = try adding.map(existingUser)
        let removed = try removing.map(existingUser)
        try requireManageable(group, action: "edit")
        guard !group.isDeleted else { throw Refusal.notPermitted("group \(quoted(group.name)) is deleted") }
        if let deleted = added.first(where: { $0.status == .deleted }) {
            throw Refusal.notPermitted("user \(quoted(deleted.username)) is deleted and cannot be added to a group")
        }
        let members = Set(try reader.memberKeys(ofGroup: group.key))
        var events: [LedgerEvent] = []
        let joining = added.filter { !members.contains($0.key) }.map(\.username)
        if !joining.isEmpty { events.append(.groupMembersAdded(group: group.name, usernames: joining)) }
        let leaving = removed.filter { members.contains($0.key) }.map(\.username)
        if !leaving.isEmpty { events.append(.groupMembersRemoved(group: group.name, usernames: leaving)) }
        return events
    }

    func deleteGroup(_ name: String) throws -> [LedgerEvent] {
        let group = try existingGroup(try Name(name, kind: .group))
        try requireManageable(group, action: "delete")
        if group.isDeleted { return [] }
        return [.groupDeleted(name: group.name)]
    }

    func syncGroups(user: String, groups: [String], createMissing: Bool) throws -> [LedgerEvent] {
        let userName = try Name(user, kind: .user)
        let claimed = try ShareEntry.parseNames(groups, kind: .group, emptyValueMeansNone: true)
        let target = try existingUser(userName)
        try requireUserManager("record group syncs")
        guard target.isActive else {
            throw Refusal.notPermitted(
                "user \(quoted(target.username)) is \(target.status.rawValue): only active users log in")
        }
        var wanted: [String: String] = [:]  // key → name as stored (or as created)
        var ignored: [String] = []
        var created: [String] = []
        for name in claimed where name.key != GroupRecord.everyoneKey {
            if let group = try reader.group(key: name.key), !group.isDeleted {
                wanted[group.key] = group.name
            } else if createMissing {
                created.append(name.value)
                wanted[name.key] = name.value
            } else {
                ignored.append(name.value)
            }
        }
        let current = Set(try reader.groupKeys(ofUser: target.key))
        let added = wanted.filter { !current.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        var removed: [String] = []
        for key in current.subtracting(wanted.keys).sorted() {
            removed.append(try reader.group(key: key)?.name ?? key)
        }
        let byKey: (String, String) -> Bool = { Name.key($0) < Name.key($1) }
        let sync = GroupSync(
            username: target.username, claimed: claimed.map(\.value), added: added, removed: removed,
            ignored: ignored.sorted(by: byKey), created: created.sorted(by: byKey))
        return created.sorted(by: byKey).map { LedgerEvent.groupCreated(name: $0, source: .idp) } + [.groupSynced(sync)]
    }

    // MARK: Workspaces

    func createWorkspace(_ workspace: String, template: String) throws -> [LedgerEvent] {
        let reference = try WorkspaceReference(parsing: workspace)
        let templateName = try Name(template, kind: .template)
        let owner = try existingUser(reference.owner)
        guard owner.key == actor.key || actorIsSiteOwner else {
            throw Refusal.notPermitted(
                "\(actorName) may not create workspaces for \(quoted(owner.username)): "
                    + "only a site owner may create workspaces for others")
        }
        guard owner.isActive else {
            throw Refusal.notPermitted(
                "user \(quoted(owner.username)) is \(owner.status.rawValue) and cannot own a new workspace")
        }
        if let existing = try reader.workspace(ownerKey: owner.key, nameKey: reference.name.key) {
            throw Refusal.notPermitted("workspace \(quoted(existing.reference)) already exists")
        }
        let identity = WorkspaceIdentity(
            id: try reader.nextWorkspaceID(), owner: owner.username, name: reference.name.value)
        return [.workspaceCreated(identity, template: templateName.value)]
    }

    /// Start, stop, restart: the owner, a site owner, or effective `use` or `admin`.
    func operate(_ workspace: String, verb: String) throws -> WorkspaceRecord {
        let w = try existingWorkspace(try WorkspaceReference(parsing: workspace))
        if isOwner(of: w) || actorIsSiteOwner { return w }
        guard try actorRole(on: w) != nil else {
            throw Refusal.notPermitted(
                "\(actorName) may not \(verb) workspace \(quoted(w.reference)): only its owner, a site owner "
                    + "or a user with the use or admin role on it may")
        }
        return w
    }

    func renameWorkspace(_ workspace: String, newName: String) throws -> [LedgerEvent] {
        let reference = try WorkspaceReference(parsing: workspace)
        let name = try Name(newName, kind: .workspace)
        let w = try existingWorkspace(reference)
        try requireAdmin(w, action: "rename")
        if w.name == name.value { return [] }
        if let other = try reader.workspace(ownerKey: w.ownerKey, nameKey: name.key), other.id != w.id {
            throw Refusal.notPermitted("workspace \(quoted(other.reference)) already exists")
        }
        return [.workspaceRenamed(w.identity, newName: name.value)]
    }

    func deleteWorkspace(_ workspace: String) throws -> [LedgerEvent] {
        let w = try existingWorkspace(try WorkspaceReference(parsing: workspace))
        guard isOwner(of: w) || actorIsSiteOwner else {
            throw Refusal.notPermitted(
                "\(actorName) may not delete workspace \(quoted(w.reference)): only its owner or a site owner may")
        }
        return [.workspaceDeleted(w.identity)]
    }

    // MARK: Sharing

    /// The users and groups of a share, resolved and checked against every rule of §2.
    func checkedGrants(
        _ w: WorkspaceRecord, users: [ShareEntry], groups: [ShareEntry]
    ) throws -> (users: [(UserRecord, WorkspaceRole)], groups: [(GroupRecord, WorkspaceRole)]) {
        let userRecords = try users.map { entry in (try existingUser(try Name(entry.name, kind: .user)), entry.role) }
        let groupRecords = try groups.map { entry in
            (try existingGroup(try Name(entry.name, kind: .group)), entry.role)
        }
        try requireAdmin(w, action: "change the sharing of")
        try requireNotSelf(userRecords.map(\.0.key))
        if let (owner, _) = userRecords.first(where: { $0.0.key == w.ownerKey }) {
            throw Refusal.notPermitted(
                "user \(quoted(owner.username)) owns workspace \(quoted(w.reference)) and cannot be added to its ACL")
        }
        if let (deleted, _) = userRecords.first(where: { $0.0.status == .deleted }) {
            throw Refusal.notPermitted("user \(quoted(deleted.username)) is deleted and cannot be added")
        }
        if let (deleted, _) = groupRecords.first(where: { $0.0.isDeleted }) {
            throw Refusal.notPermitted("group \(quoted(deleted.name)) is deleted and cannot be added")
        }
        return (userRecords, groupRecords)
    }

    /// The entries of a share that change the ACL (new, or with a different role).
    func sharedEvent(
        _ w: WorkspaceRecord, users: [(UserRecord, WorkspaceRole)], groups: [(GroupRecord, WorkspaceRole)]
    ) throws -> [LedgerEvent] {
        let acl = try reader.acl(workspaceID: w.id)
        let changedUsers = users.filter { acl.role(ofUser: $0.0.key) != $0.1 }
            .map { ShareEntry(name: $0.0.username, role: $0.1) }
        let changedGroups = groups.filter { acl.role(ofGroup: $0.0.key) != $0.1 }
            .map { ShareEntry(name: $0.0.name, role: $0.1) }
        if changedUsers.isEmpty && changedGroups.isEmpty { return [] }
        return [.workspaceShared(w.identity, users: changedUsers, groups: changedGroups)]
    }

    func share(_ workspace: String, users: [String], groups: [String]) throws -> [LedgerEvent] {
        let reference = try WorkspaceReference(parsing: workspace)
        let userEntries = try ShareEntry.parseList(users, kind: .user)
        let groupEntries = try ShareEntry.parseList(groups, kind: .group)
        guard !userEntries.isEmpty || !groupEntries.isEmpty else {
            throw Refusal.invalidInput("at least one user or group must be provided")
        }
        let w = try existingWorkspace(reference)
        let grants = try checkedGrants(w, users: userEntries, groups: groupEntries)
        return try sharedEvent(w, users: grants.users, groups: grants.groups)
    }

    func unshare(_ workspace: String, users: [String], groups: [String]) throws -> [LedgerEvent] {
        let reference = try WorkspaceReference(parsing: workspace)
        let userNames = try ShareEntry.parseNames(users, kind: .user)
        let groupNames = try ShareEntry.parseNames(groups, kind: .group)
        guard !userNames.isEmpty || !groupNames.isEmpty else {
            throw Refusal.invalidInput("at least one user or group must be provided")
        }
        let w = try existingWorkspace(reference)
        let userRecords = try userNames.map(existingUser)
        let groupRecords = try groupNames.map(existingGroup)
        try requireAdmin(w, action: "change the sharing of")
        try requireNotSelf(userRecords.map(\.key))
        let acl = try reader.acl(workspaceID: w.id)
        let removedUsers = userRecords.compactMap { user in acl.users.first { $0.key == user.key }?.name }
        let removedGroups = groupRecords.compactMap { group in acl.groups.first { $0.key == group.key }?.name }
        if removedUsers.isEmpty && removedGroups.isEmpty { return [] }
        return [.workspaceUnshared(w.identity, users: removedUsers, groups: removedGroups)]
    }

    func rotate(_ workspace: String, outgoing: String?, incoming: String, restart: Bool) throws -> [LedgerEvent] {
        let reference = try WorkspaceReference(parsing: workspace)
        let outName = try outgoing.map { text throws(Refusal) in try Name(text, kind: .user) }
        let inEntry = try ShareEntry(parsing: incoming, kind: .user)
        if let outName, outName.key == inEntry.key {
            throw Refusal.invalidInput("user \(quoted(inEntry.name)) is both rotated out and in")
        }
        let w = try existingWorkspace(reference)
        let outUser = try outName.map(existingUser)
        let grants = try checkedGrants(w, users: [inEntry], groups: [])
        try requireNotSelf(outUser.map { [$0.key] } ?? [])
        var events: [LedgerEvent] = []
        if let outUser, let entry = try reader.acl(workspaceID: w.id).users.first(where: { $0.key == outUser.key }) {
            events.append(.workspaceUnshared(w.identity, users: [entry.name], groups: []))
        }
        events += try sharedEvent(w, users: grants.users, groups: [])
        if restart && w.status == .running { events.append(.workspaceRestarted(w.identity)) }
        return events
    }
}
