/// Whether an account is a person or a service account (which authenticates only by token).
public enum UserKind: String, Sendable, Hashable, CaseIterable {
    case human
    case serviceAccount = "service_account"
}
