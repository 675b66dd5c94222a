/// A user's site-wide role.
public enum SiteRole: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case owner
    case userAdmin = "user-admin"
    case auditor
    case member

    /// Parses `owner`, `user-admin`, `auditor` or `member` exactly as written.
    /// - Throws: ``Refusal`` (exit 2) naming the value.
    public init(parsing text: String) throws(Refusal) {
        guard let role = SiteRole(rawValue: text) else {
            throw .invalidInput(
                "invalid site role \(quoted(text)): expected \"owner\", \"user-admin\", \"auditor\" or \"member\"")
        }
        self = role
    }

    /// Whether this role may manage users and groups (create, suspend, edit members, sync, …).
    public var managesUsers: Bool { self == .owner || self == .userAdmin }

    /// Whether this role may read everything: every workspace, user and token, the audit side
    /// (SPEC §7). Others read what they own or can reach, and their own user and tokens.
    public var readsEverything: Bool { self != .member }

    public var description: String { rawValue }
}
