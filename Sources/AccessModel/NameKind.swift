/// What a name names; used in messages (`invalid user name "…"`).
public enum NameKind: String, Sendable, Hashable, CaseIterable {
    case user
    case group
    case workspace
    case token
    case template
    case webhook
}
