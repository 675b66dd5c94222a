/// A user's status. Only `active` users can act, and only they have workspace access.
public enum UserStatus: String, Sendable, Hashable, CaseIterable {
    case active
    case suspended
    case deleted
}
