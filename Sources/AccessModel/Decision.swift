/// What ``Rules/decide(_:actor:reader:)`` decided: the events to append, in order, and the actor
/// to record on them.
public struct Decision: Sendable, Hashable {
    /// The events, in the order they must be appended and applied. Empty when the command is
    /// already in effect (see ``Rules``): append nothing, report success.
    public var events: [LedgerEvent]
    /// The actor to record: the acting user's name as stored (whatever case `--as` used), or for
    /// the bootstrap without `--as`, the new user's name.
    public var actor: String

    /// A decision.
    public init(events: [LedgerEvent], actor: String) {
        self.events = events
        self.actor = actor
    }

    /// The events as appended.
    public var newEvents: [NewEvent] { events.map(\.newEvent) }

    /// Whether nothing is to be appended because the command's effect is already in place.
    public var isNoOp: Bool { events.isEmpty }
}
