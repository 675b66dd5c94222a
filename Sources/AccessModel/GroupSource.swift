/// Where a group came from: created by hand, or created by an IdP group sync (`--create-missing`).
public enum GroupSource: String, Sendable, Hashable, CaseIterable {
    case manual
    case idp
}
