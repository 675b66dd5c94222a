import AccessModel

/// What the history generator knows about the organisation as the history unfolds, so that
/// every command it writes is one the rules accept and that changes something.
struct Organisation {
    struct User {
        var name: String
        var serviceAccount: Bool
        var suspended = false
        /// Indexes of the groups the user belongs to.
        var groups: Set<Int> = []
    }

    struct Group {
        var name: String
        var members: Set<Int> = []
    }

    struct Workspace {
        var owner: Int
        var name: String
        var running = true
        var users: [Int: WorkspaceRole] = [:]
        var groups: [Int: WorkspaceRole] = [:]
    }

    /// Index of the bootstrap site owner, `admin`, who runs administrative commands.
    static let admin = 0
    /// Index of `idp-sync`, the user-admin service account that records IdP logins.
    static let idpSync = 1

    /// Every planned user, in creation order; the first `createdUsers` exist.
    var users: [User] = []
    var createdUsers = 0
    var groups: [Group] = []
    var workspaces: [Workspace] = []
    /// Indexes of the workspaces not deleted, and where each sits in that array.
    private(set) var live: [Int] = []
    private var livePosition: [Int: Int] = [:]
    /// Indexes of created service accounts and of created humans (neither `admin` nor `idp-sync`).
    var serviceAccounts: [Int] = []
    var humans: [Int] = []
    /// Live tokens: (user index, token name).
    var tokens: [(user: Int, name: String)] = []

    func reference(_ workspace: Int) -> String {
        "\(users[workspaces[workspace].owner].name)/\(workspaces[workspace].name)"
    }

    mutating func addWorkspace(_ workspace: Workspace) -> Int {
        workspaces.append(workspace)
        let index = workspaces.count - 1
        livePosition[index] = live.count
        live.append(index)
        return index
    }

    mutating func removeWorkspace(_ index: Int) {
        guard let position = livePosition.removeValue(forKey: index) else { return }
        let last = live.removeLast()
        if last != index {
            live[position] = last
            livePosition[last] = position
        }
    }

    mutating func addMember(user: Int, group: Int) {
        groups[group].members.insert(user)
        users[user].groups.insert(group)
    }

    mutating func removeMember(user: Int, group: Int) {
        groups[group].members.remove(user)
        users[user].groups.remove(group)
    }
}
