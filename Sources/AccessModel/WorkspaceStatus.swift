/// A workspace's status. A workspace is created running.
public enum WorkspaceStatus: String, Sendable, Hashable, CaseIterable {
    case running
    case stopped
    case deleted
}
