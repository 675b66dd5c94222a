/// A mutating command as the CLI received it. Values are the raw strings given on the command
/// line; ``Rules/decide(_:actor:reader:)`` validates them, so every check lives in one place.
///
/// List-valued fields hold the values of a repeatable flag, each of which may be comma-separated
/// (`--user alice:admin,bob --user carol` is `["alice:admin,bob", "carol"]`).
public enum Command: Sendable, Hashable {
    /// `users create --username NAME [--service-account] [--role ROLE]`; `role` `nil` means
    /// `member`, or `owner` for the very first user.
    case createUser(username: String, serviceAccount: Bool, role: String?)
    /// `users suspend NAME`.
    case suspendUser(username: String)
    /// `users activate NAME`.
    case activateUser(username: String)
    /// `users delete NAME`.
    case deleteUser(username: String)
    /// `users set-role NAME --role ROLE`.
    case setUserRole(username: String, role: String)
    /// `tokens create --user NAME --name TOKEN --lifetime DURATION`; the caller generates the
    /// secret, shows it once, and passes only its lowercase hex SHA-256.
    case createToken(user: String, name: String, lifetime: String, secretSHA256: String)
    /// `tokens revoke --user NAME --name TOKEN`.
    case revokeToken(user: String, name: String)
    /// `groups create NAME`.
    case createGroup(name: String)
    /// `groups edit NAME [--add-users a,b] [--rm-users c]`.
    case editGroup(name: String, addUsers: [String], removeUsers: [String])
    /// `groups delete NAME`.
    case deleteGroup(name: String)
    /// `groups sync --user NAME --groups g1,g2 [--create-missing]`: what an IdP login reported.
    case syncGroups(user: String, groups: [String], createMissing: Bool)
    /// `create OWNER/NAME --template T`.
    case createWorkspace(workspace: String, template: String)
    /// `start OWNER/NAME`.
    case startWorkspace(workspace: String)
    /// `stop OWNER/NAME`.
    case stopWorkspace(workspace: String)
    /// `restart OWNER/NAME`.
    case restartWorkspace(workspace: String)
    /// `rename OWNER/NAME NEWNAME`.
    case renameWorkspace(workspace: String, newName: String)
    /// `delete OWNER/NAME`.
    case deleteWorkspace(workspace: String)
    /// `sharing share OWNER/NAME [--user name[:role],…] [--group name[:role],…]`.
    case share(workspace: String, users: [String], groups: [String])
    /// `sharing remove OWNER/NAME [--user name,…] [--group name,…]`.
    case unshare(workspace: String, users: [String], groups: [String])
    /// `rotate OWNER/NAME [--out USER] --in USER[:ROLE] [--no-restart]`: remove one user, add
    /// another, and restart a running workspace, in one command.
    case rotate(workspace: String, outgoing: String?, incoming: String, restart: Bool)
    /// `webhooks add NAME --url URL [--types TYPE,…]`. The caller makes the signing secret; the
    /// store keeps it in a table of its own, never in the log.
    case addWebhook(name: String, url: String, types: [String], secret: String)
    /// `webhooks remove NAME`.
    case removeWebhook(name: String)
}

extension Command {
    /// Checks every name, entry, role and lifetime of the command without looking at any state,
    /// so that a malformed value is reported (exit 2, naming it) before anything else, even
    /// before the actor is looked up.
    public func checkSyntax() throws(Refusal) {
        func users(_ values: [String]) throws(Refusal) { _ = try ShareEntry.parseNames(values, kind: .user) }
        func workspace(_ text: String) throws(Refusal) { _ = try WorkspaceReference(parsing: text) }
        switch self {
        case .createUser(let username, _, let role):
            _ = try Name(username, kind: .user)
            if let role { _ = try SiteRole(parsing: role) }
        case .suspendUser(let username), .activateUser(let username), .deleteUser(let username):
            _ = try Name(username, kind: .user)
        case .setUserRole(let username, let role):
            _ = try Name(username, kind: .user)
            _ = try SiteRole(parsing: role)
        case .createToken(let user, let name, let lifetime, _):
            _ = try Name(user, kind: .user)
            _ = try Name(name, kind: .token)
            _ = try TokenLifetime(parsing: lifetime)
        case .revokeToken(let user, let name):
            _ = try Name(user, kind: .user)
            _ = try Name(name, kind: .token)
        case .createGroup(let name), .deleteGroup(let name):
            _ = try Name(name, kind: .group)
        case .editGroup(let name, let add, let remove):
            _ = try Name(name, kind: .group)
            try users(add)
            try users(remove)
        case .syncGroups(let user, let groups, _):
            _ = try Name(user, kind: .user)
            _ = try ShareEntry.parseNames(groups, kind: .group, emptyValueMeansNone: true)
        case .createWorkspace(let reference, let template):
            try workspace(reference)
            _ = try Name(template, kind: .template)
        case .startWorkspace(let reference), .stopWorkspace(let reference), .restartWorkspace(let reference),
            .deleteWorkspace(let reference):
            try workspace(reference)
        case .renameWorkspace(let reference, let newName):
            try workspace(reference)
            _ = try Name(newName, kind: .workspace)
        case .share(let reference, let userEntries, let groupEntries):
            try workspace(reference)
            let entries =
                try ShareEntry.parseList(userEntries, kind: .user) + ShareEntry.parseList(groupEntries, kind: .group)
            if entries.isEmpty { throw .invalidInput("at least one user or group must be provided") }
        case .unshare(let reference, let userNames, let groupNames):
            try workspace(reference)
            let names =
                try ShareEntry.parseNames(userNames, kind: .user) + ShareEntry.parseNames(groupNames, kind: .group)
            if names.isEmpty { throw .invalidInput("at least one user or group must be provided") }
        case .rotate(let reference, let outgoing, let incoming, _):
            try workspace(reference)
            if let outgoing { _ = try Name(outgoing, kind: .user) }
            _ = try ShareEntry(parsing: incoming, kind: .user)
        case .addWebhook(let name, let url, let types, _):
            _ = try WebhookRecord(parsingName: name, url: url, types: types)
        case .removeWebhook(let name):
            _ = try Name(name, kind: .webhook)
        }
    }
}
