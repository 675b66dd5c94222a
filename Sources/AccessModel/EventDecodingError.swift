/// An event that cannot be turned back into a ``LedgerEvent``: an unknown type, a payload that
/// lacks a field, has a field of the wrong shape or an unexpected one, or a stream that does
/// not match the payload.
public struct EventDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The event type as found in the log.
    public var type: String
    /// What is wrong.
    public var problem: String

    /// An error for an event of `type`.
    public init(type: String, problem: String) {
        self.type = type
        self.problem = problem
    }

    public var description: String { "cannot read event of type \(quoted(type)): \(problem)" }
}
