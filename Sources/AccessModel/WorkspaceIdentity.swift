/// How events name a workspace: its stable id plus the owner and name at the time, for people.
public struct WorkspaceIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The stable id.
    public var id: Int64
    /// The owner's username.
    public var owner: String
    /// The workspace name at the time of the event (before a rename).
    public var name: String

    /// An identity from parts.
    public init(id: Int64, owner: String, name: String) {
        self.id = id
        self.owner = owner
        self.name = name
    }

    /// `owner/name`.
    public var description: String { "\(owner)/\(name)" }

    /// The event stream: `workspace:<id>`.
    public var stream: String { "workspace:\(id)" }
}
