/// A workspace as the projections keep it.
public struct WorkspaceRecord: Sendable, Hashable {
    /// The stable id assigned at creation (its event stream is `workspace:<id>`).
    public var id: Int64
    /// The owner's username as stored on the user.
    public var owner: String
    /// The current name (renames change it; deleted workspaces keep their last name).
    public var name: String
    /// The template it was created from.
    public var template: String
    /// Running, stopped or deleted.
    public var status: WorkspaceStatus

    /// A workspace record.
    public init(id: Int64, owner: String, name: String, template: String, status: WorkspaceStatus) {
        self.id = id
        self.owner = owner
        self.name = name
        self.template = template
        self.status = status
    }

    /// The key of ``owner``.
    public var ownerKey: String { Name.key(owner) }
    /// The key of ``name``.
    public var nameKey: String { Name.key(name) }
    /// `owner/name`.
    public var reference: String { "\(owner)/\(name)" }
    /// The identity carried by this workspace's events.
    public var identity: WorkspaceIdentity { WorkspaceIdentity(id: id, owner: owner, name: name) }
}
