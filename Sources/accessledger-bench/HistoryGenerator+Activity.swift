import AccessModel
import LedgerStore

/// The activity phase of the history: one operation at a time, drawn with fixed weights, each
/// written only when the organisation's state lets it change something.
extension HistoryGenerator {
    private enum Operation: CaseIterable {
        case share, unshare, restart, power, editGroup, sync, rotate, createWorkspace, deleteWorkspace, rename
        case createUser, suspendOrActivate, createToken, revokeToken

        /// Relative frequency in the activity phase.
        var weight: Double {
            switch self {
            case .share: return 24
            case .unshare: return 14
            case .restart: return 12
            case .power: return 18
            case .editGroup: return 6
            case .sync: return 14
            case .rotate: return 2
            case .createWorkspace: return 1.2
            case .deleteWorkspace: return 0.6
            case .rename: return 0.5
            case .createUser: return 0.3
            case .suspendOrActivate: return 1
            case .createToken: return 0.8
            case .revokeToken: return 0.3
            }
        }
    }

    private static let totalWeight = Operation.allCases.reduce(0) { $0 + $1.weight }

    /// Draws one operation and writes its command; false when it was not possible right now.
    mutating func activity() -> Bool {
        var roll = rng.unit() * HistoryGenerator.totalWeight
        var operation = Operation.share
        for candidate in Operation.allCases {
            roll -= candidate.weight
            if roll < 0 {
                operation = candidate
                break
            }
        }
        switch operation {
        case .share: return share()
        case .unshare: return unshare()
        case .restart: return restart()
        case .power: return power()
        case .editGroup: return editGroup()
        case .sync: return sync()
        case .rotate: return rotate()
        case .createWorkspace: return workspaceCounter < preset.workspaces && createWorkspace()
        case .deleteWorkspace: return deleteWorkspace()
        case .rename: return rename()
        case .createUser:
            guard org.createdUsers < org.users.count else { return false }
            createUser()
            return true
        case .suspendOrActivate: return suspendOrActivate()
        case .createToken: return createToken()
        case .revokeToken: return revokeToken()
        }
    }

    mutating func createUser() {
        let index = org.createdUsers
        let user = org.users[index]
        emit(
            "create_user", .createUser(username: user.name, serviceAccount: user.serviceAccount, role: nil),
            actor: "admin")
        if user.serviceAccount { org.serviceAccounts.append(index) } else { org.humans.append(index) }
        org.createdUsers += 1
    }

    mutating func createWorkspace() -> Bool {
        let owner: Int
        if rng.chance(0.8) || org.humans.isEmpty {
            guard !org.serviceAccounts.isEmpty else { return false }
            owner = rng.pick(org.serviceAccounts)
        } else {
            owner = org.humans[rng.skewed(below: org.humans.count, power: 1.5)]
            guard !org.users[owner].suspended else { return false }
        }
        workspaceCounter += 1
        let name = "ws-" + padded(workspaceCounter, 6)
        let template = rng.pick(["python-dev", "go-dev", "data-science", "oncall-tools", "gpu-train", "docs"])
        _ = org.addWorkspace(Organisation.Workspace(owner: owner, name: name))
        emit(
            "create_workspace", .createWorkspace(workspace: "\(org.users[owner].name)/\(name)", template: template),
            actor: org.users[owner].name)
        return true
    }

    private mutating func share() -> Bool {
        guard let workspace = pickWorkspace() else { return false }
        let actor = workspaceActor(workspace)
        if rng.chance(0.2), !org.groups.isEmpty {
            let group = rng.below(org.groups.count)
            let role: WorkspaceRole = rng.chance(0.15) ? .admin : .use
            guard org.workspaces[workspace].groups[group] != role else { return false }
            org.workspaces[workspace].groups[group] = role
            emit(
                "share",
                .share(
                    workspace: org.reference(workspace), users: [],
                    groups: ["\(org.groups[group].name):\(role.rawValue)"]),
                actor: actor)
            return true
        }
        var entries: [String] = []
        var chosen: Set<Int> = []
        for _ in 0..<(1 + rng.skewed(below: 3, power: 2)) {
            guard let user = pickShareableUser(for: workspace), !chosen.contains(user) else { continue }
            let role: WorkspaceRole = rng.chance(0.1) ? .admin : .use
            guard org.workspaces[workspace].users[user] != role else { continue }
            chosen.insert(user)
            org.workspaces[workspace].users[user] = role
            entries.append("\(org.users[user].name):\(role.rawValue)")
        }
        guard !entries.isEmpty else { return false }
        emit(
            "share", .share(workspace: org.reference(workspace), users: [entries.joined(separator: ",")], groups: []),
            actor: actor)
        return true
    }

    private mutating func unshare() -> Bool {
        guard let workspace = pickWorkspace() else { return false }
        let entries =
            org.workspaces[workspace].users.keys.sorted().map { (isUser: true, index: $0) }
            + org.workspaces[workspace].groups.keys.sorted().map { (isUser: false, index: $0) }
        guard !entries.isEmpty else { return share() }
        var users: [String] = []
        var groups: [String] = []
        var removed: Set<Int> = []
        for _ in 0..<(rng.chance(0.8) ? 1 : 2) {
            let pick = rng.below(entries.count)
            guard removed.insert(pick).inserted else { continue }
            let entry = entries[pick]
            if entry.isUser {
                org.workspaces[workspace].users[entry.index] = nil
                users.append(org.users[entry.index].name)
            } else {
                org.workspaces[workspace].groups[entry.index] = nil
                groups.append(org.groups[entry.index].name)
            }
        }
        emit(
            "unshare",
            .unshare(
                workspace: org.reference(workspace), users: users.isEmpty ? [] : [users.joined(separator: ",")],
                groups: groups.isEmpty ? [] : [groups.joined(separator: ",")]), actor: workspaceActor(workspace))
        return true
    }

    private mutating func restart() -> Bool {
        guard let workspace = pickWorkspace() else { return false }
        let reference = org.reference(workspace)
        let actor = workspaceActor(workspace)
        if org.workspaces[workspace].running {
            emit("restart", .restartWorkspace(workspace: reference), actor: actor)
        } else {
            org.workspaces[workspace].running = true
            emit("start", .startWorkspace(workspace: reference), actor: actor)
        }
        return true
    }

    private mutating func power() -> Bool {
        guard let workspace = pickWorkspace() else { return false }
        let reference = org.reference(workspace)
        let actor = workspaceActor(workspace)
        if org.workspaces[workspace].running {
            emit("stop", .stopWorkspace(workspace: reference), actor: actor)
        } else {
            emit("start", .startWorkspace(workspace: reference), actor: actor)
        }
        org.workspaces[workspace].running.toggle()
        return true
    }

    private mutating func rotate() -> Bool {
        guard let workspace = pickWorkspace(), let incoming = pickShareableUser(for: workspace),
            org.workspaces[workspace].users[incoming] == nil
        else { return false }
        let outgoing = org.workspaces[workspace].users.keys.sorted().first
        var count = 1
        if let outgoing {
            org.workspaces[workspace].users[outgoing] = nil
            count += 1
        }
        org.workspaces[workspace].users[incoming] = .use
        if org.workspaces[workspace].running { count += 1 }
        emit(
            "rotate",
            .rotate(
                workspace: org.reference(workspace), outgoing: outgoing.map { org.users[$0].name },
                incoming: org.users[incoming].name, restart: true), actor: workspaceActor(workspace), events: count)
        return true
    }

    private mutating func editGroup() -> Bool {
        guard !org.groups.isEmpty, !org.humans.isEmpty else { return false }
        let group = rng.below(org.groups.count)
        var added: [String] = []
        var removed: [String] = []
        if !org.groups[group].members.isEmpty, rng.chance(0.4) {
            let members = org.groups[group].members.sorted()
            for _ in 0..<(1 + rng.below(2)) {
                let user = rng.pick(members)
                guard org.groups[group].members.contains(user) else { continue }
                org.removeMember(user: user, group: group)
                removed.append(org.users[user].name)
            }
        } else {
            for _ in 0..<(1 + rng.below(3)) {
                let user = org.humans[rng.skewed(below: org.humans.count, power: 1.3)]
                guard !org.groups[group].members.contains(user) else { continue }
                org.addMember(user: user, group: group)
                added.append(org.users[user].name)
            }
        }
        guard !added.isEmpty || !removed.isEmpty else { return false }
        emit(
            "edit_group",
            .editGroup(
                name: org.groups[group].name, addUsers: added.isEmpty ? [] : [added.joined(separator: ",")],
                removeUsers: removed.isEmpty ? [] : [removed.joined(separator: ",")]), actor: "admin")
        return true
    }

    /// An IdP login: the claim is the user's groups with, now and then, one left or one joined,
    /// and sometimes a group name the ledger does not know (ignored).
    private mutating func sync() -> Bool {
        guard !org.humans.isEmpty else { return false }
        let user = org.humans[rng.skewed(below: org.humans.count, power: 1.2)]
        guard !org.users[user].suspended else { return false }
        var claimed = org.users[user].groups
        if !claimed.isEmpty, rng.chance(0.3), let leaving = claimed.sorted().randomElement(using: &rng) {
            claimed.remove(leaving)
        }
        if !org.groups.isEmpty, rng.chance(0.3) { claimed.insert(rng.below(org.groups.count)) }
        for group in org.users[user].groups.subtracting(claimed) { org.removeMember(user: user, group: group) }
        for group in claimed.subtracting(org.users[user].groups) { org.addMember(user: user, group: group) }
        var names = claimed.sorted().map { org.groups[$0].name }
        if rng.chance(0.05) { names.append("legacy-" + padded(rng.below(50), 2)) }
        emit(
            "sync_groups", .syncGroups(user: org.users[user].name, groups: names, createMissing: false),
            actor: "idp-sync")
        return true
    }

    private mutating func deleteWorkspace() -> Bool {
        guard org.live.count > 10, let workspace = pickWorkspace(), !everyoneWorkspaces.contains(workspace) else {
            return false
        }
        let reference = org.reference(workspace)
        let actor = workspaceActor(workspace)
        org.removeWorkspace(workspace)
        emit("delete_workspace", .deleteWorkspace(workspace: reference), actor: actor)
        return true
    }

    private mutating func rename() -> Bool {
        guard let workspace = pickWorkspace() else { return false }
        let reference = org.reference(workspace)
        // The first nine characters are `ws-` and the workspace's own counter: no two collide.
        let newName = String(org.workspaces[workspace].name.prefix(9)) + "-r" + String(rng.below(1_000_000))
        guard newName != org.workspaces[workspace].name else { return false }
        org.workspaces[workspace].name = newName
        emit("rename", .renameWorkspace(workspace: reference, newName: newName), actor: workspaceActor(workspace))
        return true
    }

    private mutating func suspendOrActivate() -> Bool {
        guard !org.humans.isEmpty else { return false }
        let user = rng.pick(org.humans)
        let name = org.users[user].name
        if org.users[user].suspended {
            emit("activate_user", .activateUser(username: name), actor: "admin")
        } else {
            emit("suspend_user", .suspendUser(username: name), actor: "admin")
        }
        org.users[user].suspended.toggle()
        return true
    }

    private mutating func createToken() -> Bool {
        guard !org.serviceAccounts.isEmpty else { return false }
        let user = rng.pick(org.serviceAccounts)
        tokenCounter += 1
        let name = "tok-" + padded(tokenCounter, 6)
        org.tokens.append((user, name))
        emit(
            "create_token",
            .createToken(user: org.users[user].name, name: name, lifetime: "8760h", secretSHA256: rng.hex(64)),
            actor: org.users[user].name)
        return true
    }

    private mutating func revokeToken() -> Bool {
        guard !org.tokens.isEmpty else { return false }
        let token = org.tokens.remove(at: rng.below(org.tokens.count))
        let user = org.users[token.user].name
        emit("revoke_token", .revokeToken(user: user, name: token.name), actor: user)
        return true
    }
}
