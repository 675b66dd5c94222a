/// An event that does not fit the projected state (e.g. it names a workspace that was never
/// created). The log and the projections disagree: replay from scratch, or investigate.
public struct ProjectionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Position of the event.
    public var position: Int64
    /// Type of the event.
    public var type: String
    /// What does not fit.
    public var problem: String

    /// An error for the event at `position`.
    public init(position: Int64, type: String, problem: String) {
        self.position = position
        self.type = type
        self.problem = problem
    }

    public var description: String { "cannot apply event \(position) (\(type)): \(problem)" }
}
