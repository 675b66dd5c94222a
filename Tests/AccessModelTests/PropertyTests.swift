import Testing

@testable import AccessModel

/// Random command sequences from a seeded generator, checked after every event against a
/// brute-force model of SPEC §3, and replayed at the end.
@Suite struct PropertyTests {
    static let sequencesPerChunk = 25
    static let commandsPerSequence = 100

    @Test(arguments: 0..<8)
    func randomCommandSequences(chunk: Int) throws {
        var coverage = Coverage()
        for index in 0..<Self.sequencesPerChunk {
            let seed = UInt64(chunk * Self.sequencesPerChunk + index)
            try runSequence(seed: seed, coverage: &coverage)
        }
        // The generator must exercise the interesting paths, or the properties prove little.
        #expect(coverage.allowed > coverage.commands / 5, "\(coverage)")
        #expect(coverage.refused > coverage.commands / 10, "\(coverage)")
        #expect(coverage.pendingSeen > 10, "\(coverage)")
        #expect(coverage.restartsEndingPending > 0, "\(coverage)")
        #expect(coverage.eventTypes.count == LedgerEventType.allCases.count, "\(coverage)")
        #expect(coverage.exitCodes == [2, 3], "\(coverage)")
    }

    func runSequence(seed: UInt64, coverage: inout Coverage) throws {
        var generator = CommandGenerator(seed: seed)
        let t = try TestLedger.bootstrapped()
        let model = Model()
        t.afterEach = { event, ledger in model.check(after: event, in: ledger.ledger, seed: seed) }
        // A populated start, so that most random commands meet existing entities.
        for name in generator.users {
            try t.run(.createUser(username: name, serviceAccount: name == "svc", role: nil), as: "root")
        }
        for name in generator.groups.dropLast() { try t.run(.createGroup(name: name), as: "root") }
        for name in generator.workspaceNames.dropLast() {
            try t.run(.createWorkspace(workspace: "svc/\(name)", template: "base"), as: "root")
        }
        try t.run(.editGroup(name: "g1", addUsers: ["ann,bob"], removeUsers: []), as: "root")
        try t.run(.editGroup(name: "g2", addUsers: ["cy"], removeUsers: []), as: "root")
        try t.run(.share(workspace: "svc/w1", users: [], groups: ["g1"]), as: "root")
        try t.run(.share(workspace: "svc/w2", users: ["ann"], groups: ["g2:admin"]), as: "root")
        for step in 0..<Self.commandsPerSequence {
            let command = generator.command()
            let actor = generator.actor()
            let before = t.ledger.snapshot()
            let logCount = t.log.count
            coverage.commands += 1
            do {
                let events = try t.run(command, as: actor)
                coverage.allowed += 1
                for event in events { coverage.eventTypes.insert(event.type) }
                try checkInvariants(after: command, events: events, t, seed: seed, step: step, coverage: &coverage)
            } catch let refusal as Refusal {
                coverage.refused += 1
                coverage.exitCodes.insert(refusal.exitCode)
                #expect(t.ledger.snapshot() == before, "seed \(seed) step \(step): refused \(command) changed state")
                #expect(t.log.count == logCount)
                #expect(!refusal.message.contains("\n"))
            }
            if t.ledger.accessRows(userKey: "ann").contains(where: { $0.state == .pendingRevocation }) {
                coverage.pendingSeen += 1
            }
        }
        // Replaying the log from scratch gives the same state and the same access history.
        let replayed = try t.replayed()
        #expect(replayed.snapshot() == t.ledger.snapshot(), "seed \(seed): replay differs")
        #expect(replayed.accessChanges == t.ledger.accessChanges, "seed \(seed): access history differs")
    }

    func checkInvariants(
        after command: Command, events: [LedgerEvent], _ t: TestLedger, seed: UInt64, step: Int,
        coverage: inout Coverage
    ) throws {
        let context = "seed \(seed) step \(step) \(command)"
        for workspace in t.ledger.allWorkspaces() {
            for row in t.ledger.accessRows(workspaceID: workspace.id) {
                #expect(row.role != nil || row.liveRole != nil, "\(context): empty row")
                if workspace.status == .running {
                    // live ≥ effective while running
                    #expect(!WorkspaceRole.isHigher(row.role, than: row.liveRole), "\(context): live < effective")
                } else {
                    #expect(row.liveRole == nil, "\(context): live role while \(workspace.status)")
                }
                #expect(row.state == AccessState(effective: row.role, live: row.liveRole))
                #expect(row.role != nil || row.via.isEmpty)
            }
        }
        for event in events {
            switch event {
            case .workspaceRestarted(let w), .workspaceStarted(let w):
                // Only when it is the last event for the workspace in this command.
                guard case .workspaceRestarted = events.last, events.last == event else { continue }
                let rows = t.ledger.accessRows(workspaceID: w.id)
                #expect(!rows.contains { $0.state == .pendingRevocation }, "\(context): pending after restart")
                #expect(rows.allSatisfy { $0.liveRole == $0.role }, "\(context): live != effective after restart")
                coverage.restarts += 1
            case .workspaceStopped(let w):
                #expect(t.ledger.accessRows(workspaceID: w.id).allSatisfy { $0.liveRole == nil }, "\(context)")
            default:
                break
            }
        }
        if case .restartWorkspace = command, !events.isEmpty, coverage.lastHadPending {
            coverage.restartsEndingPending += 1
        }
        coverage.lastHadPending = t.ledger.allWorkspaces().contains { w in
            t.ledger.accessRows(workspaceID: w.id).contains { $0.state == .pendingRevocation }
        }
    }
}

struct Coverage: CustomStringConvertible {
    var commands = 0
    var allowed = 0
    var refused = 0
    var pendingSeen = 0
    var restarts = 0
    var restartsEndingPending = 0
    var lastHadPending = false
    var eventTypes: Set<LedgerEventType> = []
    var exitCodes: Set<Int32> = []

    var description: String {
        "commands \(commands), allowed \(allowed), refused \(refused), pending seen \(pendingSeen), "
            + "restarts \(restarts) (\(restartsEndingPending) ending pending), codes \(exitCodes.sorted()), "
            + "missing types \(Set(LedgerEventType.allCases).subtracting(eventTypes).map(\.rawValue))"
    }
}

/// A brute-force model of SPEC §3: after every event, recomputes every (workspace, user) pair
/// from the snapshot alone and keeps its own live roles.
final class Model {
    struct Pair: Hashable {
        var workspace: Int64
        var user: String
    }

    var live: [Pair: WorkspaceRole] = [:]

    func check(after event: LedgerEvent, in ledger: InMemoryLedger, seed: UInt64) {
        let snapshot = ledger.snapshot()
        var reset: Int64? = nil
        switch event {
        case .workspaceStarted(let w), .workspaceRestarted(let w): reset = w.id
        default: break
        }
        var expectedRows = 0
        for (id, workspace) in snapshot.workspaces {
            let acl = snapshot.acls[id] ?? WorkspaceACL()
            for (key, user) in snapshot.users {
                var effective: WorkspaceRole? = nil
                var via: [String] = []
                if workspace.status != .deleted && user.status == .active && key != workspace.ownerKey {
                    for entry in acl.users where entry.key == key {
                        effective = entry.role
                        via.append("user")
                    }
                    for entry in acl.groups.sorted(by: { $0.key < $1.key })
                    where entry.key == "everyone" || snapshot.members[entry.key]?.contains(key) == true {
                        if effective == nil || entry.role == .admin {
                            effective = entry.role == .admin ? .admin : (effective ?? .use)
                        }
                        via.append("group:\(entry.name)")
                    }
                }
                let pair = Pair(workspace: id, user: key)
                let newLive: WorkspaceRole?
                if workspace.status != .running {
                    newLive = nil
                } else if reset == id {
                    newLive = effective
                } else {
                    newLive = [live[pair], effective].compactMap { $0 }.max()
                }
                live[pair] = newLive
                let row = snapshot.access[id]?[key]
                if effective == nil && newLive == nil {
                    #expect(row == nil, "seed \(seed) after \(event): unexpected row \(String(describing: row))")
                } else {
                    expectedRows += 1
                    let expected = AccessRow(
                        workspaceID: id, username: user.username, role: effective, liveRole: newLive, via: via)
                    #expect(row == expected, "seed \(seed) after \(event): \(key)@\(id)")
                }
            }
        }
        #expect(snapshot.access.values.map(\.count).reduce(0, +) == expectedRows, "seed \(seed) after \(event)")
    }
}

/// Random commands over small pools of names, so that they collide and interact.
struct CommandGenerator {
    var rng: SplitMix64
    let users = ["ann", "bob", "cy", "dee", "eve", "svc"]
    let groups = ["g1", "g2", "g3"]
    let workspaceNames = ["w1", "w2", "w3"]

    init(seed: UInt64) { rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 1) }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }

    /// The name as written, sometimes in another case, rarely malformed.
    mutating func spell(_ name: String) -> String {
        if chance(2) { return name + "_x" }
        if chance(15) { return name.uppercased() }
        return name
    }

    mutating func user() -> String { spell(chance(8) ? "root" : chance(6) ? pick(["fox", "gil"]) : pick(users)) }
    mutating func group() -> String { spell(chance(15) ? "Everyone" : chance(5) ? "nope" : pick(groups)) }
    mutating func workspace() -> String {
        "\(spell(chance(85) ? "svc" : pick(users)))/\(spell(chance(85) ? pick(["w1", "w2"]) : pick(workspaceNames)))"
    }

    mutating func actor() -> String? {
        switch int(0..<100) {
        case 0..<55: return "root"
        case 55..<57: return nil
        case 57..<59: return "nobody"
        case 59..<60: return "b_d"
        default: return spell(pick(users))
        }
    }

    mutating func list(_ element: (inout CommandGenerator) -> String, max: Int) -> [String] {
        let count = chance(10) ? 0 : int(1..<(max + 1))
        var items: [String] = []
        for _ in 0..<count { items.append(element(&self)) }
        if items.count > 1 && chance(50) { return [items.joined(separator: ",")] }
        return items
    }

    mutating func role() -> String { pick(["", ":use", ":admin", ":admin", chance(5) ? ":owner" : ""]) }

    mutating func command() -> Command {
        switch int(0..<108) {
        case 0..<5:
            return .createUser(
                username: chance(50) ? spell(pick(["fox", "gil"])) : user(), serviceAccount: chance(20),
                role: chance(60) ? nil : pick(["member", "owner", "user-admin", "auditor", "boss"]))
        case 5..<8: return .suspendUser(username: spell(pick(["ann", "bob", "cy"])))
        case 8..<12: return .activateUser(username: spell(pick(["ann", "bob", "cy"])))
        case 12..<13: return .deleteUser(username: user())
        case 13..<15: return .setUserRole(username: user(), role: pick(["member", "owner", "user-admin", "auditor"]))
        case 15..<18:
            return .createToken(
                user: spell(pick(["ann", "svc"])), name: pick(["t1", "t2"]),
                lifetime: pick(["1h", "1h", "168h", "169h", "0h", "876001h", "x"]),
                secretSHA256: String(repeating: "a", count: 64))
        case 18..<20: return .revokeToken(user: spell(pick(["ann", "svc"])), name: pick(["t1", "t2"]))
        case 20..<22: return .createGroup(name: group())
        case 22..<29:
            let name = chance(70) ? spell(pick(["g1", "g2"])) : group()
            if chance(15) {
                return .editGroup(
                    name: name, addUsers: list({ $0.user() }, max: 2), removeUsers: list({ $0.user() }, max: 2))
            }
            if chance(50) { return .editGroup(name: name, addUsers: list({ $0.user() }, max: 3), removeUsers: []) }
            return .editGroup(name: name, addUsers: [], removeUsers: list({ $0.user() }, max: 3))
        case 29..<31: return .deleteGroup(name: group())
        case 31..<37:
            return .syncGroups(user: user(), groups: list({ $0.group() }, max: 3), createMissing: chance(30))
        case 37..<44: return .createWorkspace(workspace: workspace(), template: "base")
        case 44..<49: return .startWorkspace(workspace: workspace())
        case 49..<55: return .stopWorkspace(workspace: workspace())
        case 55..<61: return .restartWorkspace(workspace: workspace())
        case 61..<63: return .renameWorkspace(workspace: workspace(), newName: pick(workspaceNames))
        case 63..<65: return .deleteWorkspace(workspace: workspace())
        case 65..<83:
            return .share(
                workspace: workspace(), users: list({ $0.user() + $0.role() }, max: 2),
                groups: list({ $0.group() + $0.role() }, max: 2))
        case 83..<95:
            return .unshare(
                workspace: workspace(), users: list({ $0.user() }, max: 2), groups: list({ $0.group() }, max: 1))
        case 95..<100:
            return .rotate(
                workspace: workspace(), outgoing: chance(80) ? user() : nil, incoming: user() + role(),
                restart: chance(60))
        case 100..<105:
            return .addWebhook(
                name: pick(["w1", "w2", "w_3"]), url: pick(["http://127.0.0.1:9/a", "https://h/x", "ftp://h"]),
                types: chance(50) ? [] : [pick(["workspace_shared", "user_created,user_deleted", "nosuch"])],
                secret: "whsec_x")
        default: return .removeWebhook(name: pick(["w1", "w2", "W1"]))
        }
    }
}
