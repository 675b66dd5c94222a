/// One change of one access row, as ``InMemoryLedger/accessChanges`` records it.
public struct AccessChange: Sendable, Hashable {
    /// Position of the event that caused it.
    public var position: Int64
    /// When that event occurred.
    public var occurredAt: Timestamp
    /// The workspace.
    public var workspaceID: Int64
    /// The user's key.
    public var userKey: String
    /// The row from now on; `nil` when it was deleted.
    public var row: AccessRow?

    /// A change.
    public init(position: Int64, occurredAt: Timestamp, workspaceID: Int64, userKey: String, row: AccessRow?) {
        self.position = position
        self.occurredAt = occurredAt
        self.workspaceID = workspaceID
        self.userKey = userKey
        self.row = row
    }
}
