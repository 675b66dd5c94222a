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

/// The users, groups and workspace a command names, as keys: what a store can read together,
/// before the rules ask for them one by one. A name that does not parse is left out (the rules
/// refuse it).
public struct CommandFootprint: Sendable, Equatable {
    public var userKeys: [String] = []
    public var groupKeys: [String] = []
    /// The workspace a command names by `OWNER/NAME` (not the one `workspaces create` makes).
    public var workspace: WorkspaceReference?

    public init(userKeys: [String] = [], groupKeys: [String] = [], workspace: WorkspaceReference? = nil) {
        self.userKeys = userKeys
        self.groupKeys = groupKeys
        self.workspace = workspace
    }
}

extension Command {
    /// What the command names (``CommandFootprint``).
    public var footprint: CommandFootprint {
        func user(_ name: String?) -> [String] { name.flatMap { try? Name($0, kind: .user).key }.map { [$0] } ?? [] }
        func entries(_ values: [String], _ kind: NameKind) -> [String] {
            ((try? ShareEntry.parseList(values, kind: kind)) ?? []).map(\.key)
        }
        func names(_ values: [String], _ kind: NameKind) -> [String] {
            ((try? ShareEntry.parseNames(values, kind: kind, emptyValueMeansNone: true)) ?? []).map(\.key)
        }
        func workspace(_ text: String) -> WorkspaceReference? { try? WorkspaceReference(parsing: text) }
        switch self {
        case .createUser(let username, _, _), .suspendUser(let username), .activateUser(let username),
            .deleteUser(let username), .setUserRole(let username, _), .createToken(let username, _, _, _),
            .revokeToken(let username, _):
            return CommandFootprint(userKeys: user(username))
        case .createGroup(let name), .deleteGroup(let name):
            return CommandFootprint(groupKeys: names([name], .group))
        case .editGroup(let name, let add, let remove):
            return CommandFootprint(userKeys: names(add + remove, .user), groupKeys: names([name], .group))
        case .syncGroups(let username, let groups, _):
            return CommandFootprint(userKeys: user(username), groupKeys: names(groups, .group))
        case .createWorkspace(let reference, _):
            return CommandFootprint(userKeys: workspace(reference).map { [$0.owner.key] } ?? [])
        case .startWorkspace(let reference), .stopWorkspace(let reference), .restartWorkspace(let reference),
            .deleteWorkspace(let reference), .renameWorkspace(let reference, _):
            return CommandFootprint(workspace: workspace(reference))
        case .share(let reference, let users, let groups):
            return CommandFootprint(
                userKeys: entries(users, .user), groupKeys: entries(groups, .group), workspace: workspace(reference))
        case .unshare(let reference, let users, let groups):
            return CommandFootprint(
                userKeys: names(users, .user), groupKeys: names(groups, .group), workspace: workspace(reference))
        case .rotate(let reference, let outgoing, let incoming, _):
            let incomingKey = (try? ShareEntry(parsing: incoming, kind: .user)).map { [$0.key] } ?? []
            return CommandFootprint(userKeys: user(outgoing) + incomingKey, workspace: workspace(reference))
        case .addWebhook, .removeWebhook:
            return CommandFootprint()
        }
    }
}
