import AccessModel
import LedgerStore
import PostgresClient
import TestSupport
import Testing

/// The live path (rules and projections against the PostgreSQL tables) must agree with a replay
/// of the log through the same code in memory.
@Suite("Live projections in PostgreSQL")
struct LiveProjectionTests {
    @Test func theGuidesRotationLeavesAlicePendingUntilTheRestart() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let ledger = Ledger(connection: try db.connectAsApp())
        try ledger.execute(.createUser(username: "admin", serviceAccount: false, role: nil), actor: nil)
        for name in ["alice", "bob", "carol", "dave"] {
            try ledger.execute(.createUser(username: name, serviceAccount: false, role: nil), actor: "admin")
        }
        try ledger.execute(.createUser(username: "oncall-sre", serviceAccount: true, role: nil), actor: "admin")
        try ledger.execute(.createGroup(name: "sre-oncall"), actor: "admin")
        try ledger.execute(.editGroup(name: "sre-oncall", addUsers: ["dave"], removeUsers: []), actor: "admin")
        try ledger.execute(
            .createWorkspace(workspace: "oncall-sre/oncall-workspace", template: "oncall"), actor: "admin")
        try ledger.execute(
            .share(workspace: "oncall-sre/oncall-workspace", users: ["alice:admin,bob"], groups: ["sre-oncall"]),
            actor: "admin")
        try ledger.execute(
            .unshare(workspace: "oncall-sre/oncall-workspace", users: ["alice"], groups: []), actor: "admin")
        try ledger.execute(
            .share(workspace: "oncall-sre/oncall-workspace", users: ["carol"], groups: []), actor: "admin")

        let (status, asOf) = try ledger.sharingStatus("oncall-sre/oncall-workspace")
        #expect(asOf.position == 12)
        #expect(status.users.map(\.username) == ["bob", "carol"])
        #expect(status.groups.map(\.memberCount) == [1])
        let alice = try #require(status.access.first { $0.username == "alice" })
        #expect(alice.role == nil && alice.liveRole == .admin && alice.state == .pendingRevocation)
        #expect(status.restartRequired)
        #expect(try ledger.listWorkspaces(search: "pending_revocation:true").0.count == 1)

        try ledger.execute(.restartWorkspace(workspace: "oncall-sre/oncall-workspace"), actor: "carol")
        let (after, _) = try ledger.sharingStatus("OnCall-SRE/oncall-workspace")
        #expect(after.access.map(\.username) == ["bob", "carol", "dave"])
        #expect(after.access.allSatisfy { $0.state == .active })
        #expect(!after.restartRequired)
        #expect(
            try ledger.listWorkspaces(search: "shared_with_user:bob").0.map(\.workspace.name) == ["oncall-workspace"])
        #expect(try ledger.listWorkspaces(search: "shared_with_user:dave").0.isEmpty)
        #expect(try ledger.listWorkspaces(search: "has_access:dave").0.count == 1)
        #expect(try ledger.listWorkspaces(search: "shared_with_group:SRE-oncall status:running").0.count == 1)
        #expect(try ledger.listWorkspaces(search: "shared:false").0.isEmpty)
    }

    @Test func aRefusedCommandAppendsNothingAndChangesNothing() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        let ledger = Ledger(connection: connection)
        try ledger.execute(.createUser(username: "admin", serviceAccount: false, role: nil), actor: nil)
        try ledger.execute(.createUser(username: "bob", serviceAccount: false, role: nil), actor: "admin")
        let before = try PostgresLedger(connection: connection).snapshot()
        let refusals: [(Command, String, Int32)] = [
            (.createUser(username: "alice_bob", serviceAccount: false, role: nil), "admin", 2),
            (.createUser(username: "carol", serviceAccount: false, role: nil), "bob", 3),
            (.createGroup(name: "g"), "nobody", 2),
            (.share(workspace: "admin/nope", users: ["bob"], groups: []), "admin", 2),
        ]
        for (command, actor, code) in refusals {
            let error = #expect(throws: LedgerError.self) { try ledger.execute(command, actor: actor) }
            #expect(error?.exitCode == code, "\(command)")
        }
        #expect(try EventStore(connection: connection).head()?.position == 2)
        #expect(try PostgresLedger(connection: connection).snapshot() == before)
    }

    /// Random command sequences: positions stay gap-free, refused commands append nothing, and
    /// the tables equal a replay of the log in memory, access history included.
    @Test(arguments: [11, 29, 47])
    func liveTablesEqualAReplayOfTheLog(seed: UInt64) throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        let ledger = Ledger(connection: connection)
        var random = SplitMix64(seed: seed)
        try ledger.execute(.createUser(username: "root", serviceAccount: false, role: nil), actor: nil)
        var appended: Int64 = 1
        var refused = 0
        for step in 0..<600 {
            let command =
                step < RandomCommands.users.count
                ? .createUser(username: RandomCommands.users[step], serviceAccount: step == 0, role: nil)
                : RandomCommands.next(&random)
            let actor = step < RandomCommands.users.count ? "root" : random.pick(RandomCommands.actors)
            do {
                appended += Int64(try ledger.execute(command, actor: actor).events.count)
            } catch let error as LedgerError {
                #expect(error.exitCode == 2 || error.exitCode == 3, "\(command): \(error)")
                refused += 1
            }
            #expect(try EventStore(connection: connection).head()?.position == appended)
        }
        #expect(
            refused > 10 && appended > 100,
            "the sequence exercised both paths: \(appended) appended, \(refused) refused")

        try StagedCommandTests.expectLiveEqualsReplay(connection)
        let live = try PostgresLedger(connection: connection).snapshot()
        let open = try connection.query("SELECT count(*) FROM access_history WHERE to_position IS NULL").first
        #expect(try open?.int64(0) == Int64(live.access.values.map(\.count).reduce(0, +)))
        #expect(try EventStore(connection: connection).verify().ok)
    }
}

/// Random commands over a small world, so that they often collide and often are refused.
enum RandomCommands {
    static let users = ["svc", "alice", "bob", "carol", "dave", "erin"]
    static let actors = ["root", "root", "root", "root", "alice", "bob", "svc", "carol"]
    static let groups = ["g1", "g2", "Everyone"]
    static let workspaces = ["svc/w1", "svc/w2", "alice/w3", "root/w4"]

    static func next(_ r: inout SplitMix64) -> Command {
        let user = r.pick(users)
        let workspace = r.pick(workspaces)
        let role = r.pick(["", ":use", ":admin"])
        switch r.below(20) {
        case 0, 1: return .createUser(username: user, serviceAccount: user == "svc", role: r.pick([nil, "member"]))
        case 2: return r.pick([.suspendUser(username: user), .activateUser(username: user)])
        case 3:
            return r.below(10) == 0
                ? .deleteUser(username: user) : .createWorkspace(workspace: workspace, template: "t")
        case 4: return .createGroup(name: r.pick(groups))
        case 5, 6:
            return .editGroup(
                name: r.pick(groups), addUsers: r.below(2) == 0 ? [user] : [],
                removeUsers: r.below(2) == 0 ? [r.pick(users.filter { $0 != user })] : [])
        case 7:
            return .syncGroups(
                user: user, groups: [r.pick(groups), r.pick(["g3", "g1"])], createMissing: r.below(2) == 0)
        case 8: return r.below(5) == 0 ? .deleteGroup(name: r.pick(groups)) : .createGroup(name: "g2")
        case 9: return .createWorkspace(workspace: workspace, template: "t")
        case 10: return .startWorkspace(workspace: workspace)
        case 11: return .stopWorkspace(workspace: workspace)
        case 12: return .restartWorkspace(workspace: workspace)
        case 13, 14, 15:
            return .share(
                workspace: workspace, users: r.below(3) > 0 ? [user + role] : [],
                groups: r.below(2) == 0 ? [r.pick(groups) + role] : [])
        case 16, 17:
            return .unshare(
                workspace: workspace, users: r.below(3) > 0 ? [user] : [],
                groups: r.below(2) == 0 ? [r.pick(groups)] : [])
        case 18:
            return r.below(6) == 0
                ? .deleteWorkspace(workspace: workspace) : .createWorkspace(workspace: workspace, template: "t")
        default:
            return .createToken(
                user: user, name: "t\(r.below(3))", lifetime: r.pick(["24h", "200h", "0h"]),
                secretSHA256: String(repeating: "ab", count: 32))
        }
    }
}
