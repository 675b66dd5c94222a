/// A role on a workspace's ACL, ordered none < `use` < `admin` (none is `nil`).
///
/// - `use`: connect (SSH, apps), start, stop, view logs and stats.
/// - `admin`: everything `use` can, plus rename, update and change the sharing.
public enum WorkspaceRole: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case use
    case admin

    /// Parses a role exactly as written (case-sensitive, like Coder): `use` or `admin`.
    /// - Throws: ``Refusal`` (exit 2): `invalid role "owner": expected "use" or "admin"`.
    public init(parsing text: String) throws(Refusal) {
        guard let role = WorkspaceRole(rawValue: text) else {
            throw .invalidInput("invalid role \(quoted(text)): expected \"use\" or \"admin\"")
        }
        self = role
    }

    public static func < (lhs: WorkspaceRole, rhs: WorkspaceRole) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int {
        switch self {
        case .use: return 1
        case .admin: return 2
        }
    }

    public var description: String { rawValue }

    /// The higher of two optional roles, where `nil` (none) is the lowest.
    public static func highest(_ a: WorkspaceRole?, _ b: WorkspaceRole?) -> WorkspaceRole? {
        guard let a else { return b }
        guard let b else { return a }
        return max(a, b)
    }

    /// Whether `a` is strictly higher than `b`, where `nil` (none) is the lowest.
    public static func isHigher(_ a: WorkspaceRole?, than b: WorkspaceRole?) -> Bool {
        guard let a else { return false }
        guard let b else { return true }
        return a > b
    }
}
