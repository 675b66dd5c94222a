/// All projected state of an ``InMemoryLedger`` or an ``InternedLedger``, comparable with `==`
/// (e.g. live state against a replay of the log). Keys are identity keys (lowercased names) or workspace ids.
public struct LedgerSnapshot: Sendable, Hashable {
    /// Users by key.
    public var users: [String: UserRecord]
    /// Stored groups by key (deleted ones included).
    public var groups: [String: GroupRecord]
    /// Member keys by group key (groups without members left out).
    public var members: [String: Set<String>]
    /// Workspaces by id.
    public var workspaces: [Int64: WorkspaceRecord]
    /// Non-empty ACLs by workspace id.
    public var acls: [Int64: WorkspaceACL]
    /// Access rows by workspace id, then user key.
    public var access: [Int64: [String: AccessRow]]
    /// Tokens by `userkey/namekey`.
    public var tokens: [String: TokenRecord]
    /// Webhooks by key.
    public var webhooks: [String: WebhookRecord]

    /// A snapshot from parts.
    public init(
        users: [String: UserRecord], groups: [String: GroupRecord], members: [String: Set<String>],
        workspaces: [Int64: WorkspaceRecord], acls: [Int64: WorkspaceACL], access: [Int64: [String: AccessRow]],
        tokens: [String: TokenRecord], webhooks: [String: WebhookRecord] = [:]
    ) {
        self.users = users
        self.groups = groups
        self.members = members
        self.workspaces = workspaces
        self.acls = acls
        self.access = access
        self.tokens = tokens
        self.webhooks = webhooks
    }
}
