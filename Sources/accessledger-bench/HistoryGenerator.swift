import AccessModel
import Foundation
import LedgerStore

/// A generated history: the commands to import, in order, with their actors and past times.
struct GeneratedHistory {
    var items: [ImportItem]
    /// Events the commands should append (the generator's own count; the import reports the real one).
    var expectedEvents: Int
    /// Commands per kind, for the log.
    var commandCounts: [String: Int]
}

/// Writes a realistic, deterministic history of one organisation from a seed.
///
/// **Setup** (about 5% of the events): the bootstrap owner, an IdP-sync service account, 80% of
/// the users (about 5% service accounts), the groups with skewed sizes and their members, 80% of
/// the workspaces (mostly owned by service accounts), and a few workspaces shared with `Everyone`.
/// **Activity** (the rest), drawn with fixed weights: shares and removals on hot workspaces (a
/// skewed pick), stops, starts and restarts, IdP logins that move users between groups, manual
/// group edits, rotations, and a trickle of new users, new, renamed and deleted workspaces,
/// suspensions and tokens. Times start on 2020-01-01 and advance 1–120 s per command, so the
/// whole history lies in the past and `--occurred-at` never goes backwards.
struct HistoryGenerator {
    let preset: Preset
    var rng: SplitMix64
    var org = Organisation()
    var items: [ImportItem] = []
    var events = 0
    var counts: [String: Int] = [:]
    /// Microseconds since the epoch of the next command; 2020-01-01T00:00:00Z to begin with.
    var clock: Int64 = 1_577_836_800_000_000
    var workspaceCounter = 0
    var tokenCounter = 0
    /// Workspaces shared with `Everyone` (never deleted).
    var everyoneWorkspaces: Set<Int> = []
    /// Setup commands are one second apart; activity is spread out.
    var inSetup = true

    init(preset: Preset, seed: UInt64) {
        self.preset = preset
        rng = SplitMix64(seed: seed)
    }

    /// Generates the whole history.
    mutating func generate() -> GeneratedHistory {
        items.reserveCapacity(preset.events + preset.events / 8)
        planUsers()
        setUp()
        inSetup = false
        while events < preset.events { _ = activity() }
        return GeneratedHistory(items: items, expectedEvents: events, commandCounts: counts)
    }

    // MARK: Setup

    private mutating func planUsers() {
        org.users.append(Organisation.User(name: "admin", serviceAccount: false))
        org.users.append(Organisation.User(name: "idp-sync", serviceAccount: true))
        for index in 2..<max(preset.users, 4) {
            let serviceAccount = index % 20 == 0
            let name = (serviceAccount ? "svc-" : "user-") + padded(index, 5)
            org.users.append(Organisation.User(name: name, serviceAccount: serviceAccount))
        }
    }

    private mutating func setUp() {
        emit("create_user", .createUser(username: "admin", serviceAccount: false, role: "owner"), actor: nil)
        emit(
            "create_user", .createUser(username: "idp-sync", serviceAccount: true, role: "user-admin"),
            actor: "admin")
        org.createdUsers = 2
        while org.createdUsers < org.users.count * 8 / 10 { createUser() }
        for rank in 0..<preset.groups {
            org.groups.append(Organisation.Group(name: "team-" + padded(rank, 4)))
            emit("create_group", .createGroup(name: org.groups[rank].name), actor: "admin")
            let size = min(
                org.humans.count, max(3, Int(Double(preset.largestGroup) / pow(Double(rank + 1), 0.9))))
            var chosen: Set<Int> = []
            while chosen.count < size { chosen.insert(rng.pick(org.humans)) }
            let members = chosen.sorted()
            for start in stride(from: 0, to: members.count, by: 100) {
                let batch = members[start..<min(start + 100, members.count)]
                for user in batch { org.addMember(user: user, group: rank) }
                emit(
                    "edit_group",
                    .editGroup(
                        name: org.groups[rank].name,
                        addUsers: [batch.map { org.users[$0].name }.joined(separator: ",")],
                        removeUsers: []), actor: "admin")
            }
        }
        while workspaceCounter < preset.workspaces * 8 / 10 { _ = createWorkspace() }
        // Company-wide workspaces, anywhere in the list (not among the hot few at its head: each
        // start, stop or restart of one touches an access row per active user).
        while everyoneWorkspaces.count < min(preset.everyoneWorkspaces, org.live.count) {
            let workspace = org.live[org.live.count / 2 + rng.below(org.live.count - org.live.count / 2)]
            guard everyoneWorkspaces.insert(workspace).inserted else { continue }
            emit(
                "share", .share(workspace: org.reference(workspace), users: [], groups: ["Everyone:use"]),
                actor: "admin")
        }
    }

    // MARK: Picking

    /// A live workspace, skewed towards a hot few.
    mutating func pickWorkspace() -> Int? {
        guard !org.live.isEmpty else { return nil }
        return org.live[rng.skewed(below: org.live.count, power: 1.6)]
    }

    /// A human who may be added to the workspace's ACL (not its owner), skewed towards a busy few.
    mutating func pickShareableUser(for workspace: Int) -> Int? {
        guard !org.humans.isEmpty else { return nil }
        let user = org.humans[rng.skewed(below: org.humans.count, power: 1.5)]
        return user == org.workspaces[workspace].owner ? nil : user
    }

    /// Who runs a command on a workspace: usually its owner, sometimes a site owner (always the
    /// site owner when the owner is suspended).
    mutating func workspaceActor(_ workspace: Int) -> String {
        let owner = org.users[org.workspaces[workspace].owner]
        return owner.suspended || rng.chance(0.3) ? "admin" : owner.name
    }

    // MARK: Output

    mutating func emit(_ kind: String, _ command: Command, actor: String?, events: Int = 1) {
        clock += inSetup ? 1_000_000 : Int64(1 + rng.below(120)) * 1_000_000
        let reason = rng.chance(0.1) ? "CHG-" + padded(rng.below(100_000), 5) : nil
        items.append(
            ImportItem(command: command, actor: actor, reason: reason, occurredAt: Timestamp(microseconds: clock)))
        self.events += events
        counts[kind, default: 0] += 1
    }
}

/// `value` in decimal with leading zeros to `width` digits.
func padded(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
