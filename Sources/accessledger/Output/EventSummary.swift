import AccessModel

/// The one-line confirmation a mutating command prints for each event it appended.
enum EventSummary {
    /// E.g. `shared oncall-sre/oncall-workspace with alice (admin), group sre-oncall (use)`.
    static func line(for recorded: RecordedEvent) -> String {
        guard let event = try? LedgerEvent(recorded: recorded) else {
            return "appended \(recorded.type) to \(recorded.stream) (position \(recorded.position))"
        }
        return line(for: event, at: recorded.occurredAt)
    }

    static func line(for event: LedgerEvent, at time: Timestamp) -> String {
        switch event {
        case .userCreated(let username, let kind, let role):
            let what = kind == .serviceAccount ? "service account" : "user"
            return "created \(what) \(username) (site role \(role.rawValue))"
        case .userRoleChanged(let username, let from, let to):
            return "changed the site role of \(username) from \(from.rawValue) to \(to.rawValue)"
        case .userSuspended(let username):
            return "suspended user \(username)"
        case .userActivated(let username):
            return "activated user \(username)"
        case .userDeleted(let username):
            return "deleted user \(username) (their group memberships, shares and tokens end)"
        case .tokenCreated(let username, let name, let lifetime, _):
            let expires = Timestamp(microseconds: time.microseconds + lifetime * 1_000_000)
            return "created token \(name) for \(username), "
                + "lifetime \(TokenLifetime(seconds: lifetime)), expires \(expires.rfc3339)"
        case .tokenRevoked(let username, let name):
            return "revoked token \(name) of \(username)"
        case .groupCreated(let name, let source):
            return "created group \(name)" + (source == .idp ? " (source idp)" : "")
        case .groupDeleted(let name):
            return "deleted group \(name) (its memberships and shares end)"
        case .groupMembersAdded(let group, let usernames):
            return "added \(list(usernames)) to group \(group)"
        case .groupMembersRemoved(let group, let usernames):
            return "removed \(list(usernames)) from group \(group)"
        case .groupSynced(let sync):
            return syncLine(sync)
        case .workspaceCreated(let w, let template):
            return "created workspace \(w) from template \(template) (running)"
        case .workspaceStarted(let w):
            return "started \(w)"
        case .workspaceStopped(let w):
            return "stopped \(w)"
        case .workspaceRestarted(let w):
            return "restarted \(w) (pending revocations ended)"
        case .workspaceRenamed(let w, let newName):
            return "renamed \(w) to \(w.owner)/\(newName)"
        case .workspaceDeleted(let w):
            return "deleted workspace \(w)"
        case .workspaceShared(let w, let users, let groups):
            let entries =
                users.map { "\($0.name) (\($0.role.rawValue))" }
                + groups.map { "group \($0.name) (\($0.role.rawValue))" }
            return "shared \(w) with \(list(entries))"
        case .workspaceUnshared(let w, let users, let groups):
            return "removed \(list(users + groups.map { "group \($0)" })) from \(w)"
        case .webhookAdded(let webhook):
            let types = webhook.types.isEmpty ? "every event" : list(webhook.types)
            return "added webhook \(webhook.name) → \(webhook.url) (\(types))"
        case .webhookRemoved(let name):
            return "removed webhook \(name)"
        }
    }

    static func syncLine(_ sync: GroupSync) -> String {
        var parts: [String] = []
        if !sync.added.isEmpty { parts.append("joined \(list(sync.added))") }
        if !sync.removed.isEmpty { parts.append("left \(list(sync.removed))") }
        if parts.isEmpty { parts.append("memberships unchanged") }
        if !sync.created.isEmpty { parts.append("created \(list(sync.created))") }
        if !sync.ignored.isEmpty {
            parts.append("ignored unknown \(list(sync.ignored)) (--create-missing would create them)")
        }
        return "recorded group sync for \(sync.username): " + parts.joined(separator: "; ")
    }

    /// `a`, `a, b`.
    static func list(_ items: [String]) -> String { items.joined(separator: ", ") }
}
