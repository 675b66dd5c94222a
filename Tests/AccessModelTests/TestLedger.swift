import Testing

@testable import AccessModel

/// An in-memory ledger with a log: runs commands the way the store will (decide, then append and
/// apply each event through its JSON form), and keeps the recorded events for replay.
final class TestLedger {
    let ledger = InMemoryLedger()
    private(set) var log: [RecordedEvent] = []
    private var streamVersions: [String: Int64] = [:]
    private var clock: Int64 = 1_780_000_000_000_000
    /// Called after each event is applied.
    var afterEach: ((LedgerEvent, TestLedger) -> Void)?

    init() {}

    /// A ledger whose first user `root` (site owner) exists.
    static func bootstrapped() throws -> TestLedger {
        let t = TestLedger()
        try t.run(.createUser(username: "root", serviceAccount: false, role: nil), as: nil)
        return t
    }

    /// The standard world:
    /// - `root` (owner), `ua` (user-admin), `aud` (auditor), members `alice`, `bob`, `carol`, `dave`,
    ///   service account `svc` (member);
    /// - group `sre` = {bob, carol};
    /// - workspace `svc/ws` (running) created by root.
    static func world() throws -> TestLedger {
        let t = try bootstrapped()
        try t.run(.createUser(username: "ua", serviceAccount: false, role: "user-admin"), as: "root")
        try t.run(.createUser(username: "aud", serviceAccount: false, role: "auditor"), as: "root")
        for name in ["alice", "bob", "carol", "dave"] {
            try t.run(.createUser(username: name, serviceAccount: false, role: nil), as: "root")
        }
        try t.run(.createUser(username: "svc", serviceAccount: true, role: nil), as: "root")
        try t.run(.createGroup(name: "sre"), as: "root")
        try t.run(.editGroup(name: "sre", addUsers: ["bob,carol"], removeUsers: []), as: "root")
        try t.run(.createWorkspace(workspace: "svc/ws", template: "oncall"), as: "root")
        return t
    }

    var now: Timestamp { Timestamp(microseconds: clock) }

    /// Decides and applies a command; returns the events appended.
    @discardableResult
    func run(_ command: Command, as actor: String?) throws -> [LedgerEvent] {
        let decision = try Rules.decide(command, actor: actor, reader: ledger)
        for event in decision.events {
            let new = event.newEvent
            clock += 1_000_000
            let version = streamVersions[new.stream, default: 0] + 1
            streamVersions[new.stream] = version
            let recorded = RecordedEvent(
                position: Int64(log.count + 1), stream: new.stream, streamVersion: version, type: new.type,
                data: try JSONValue.parse(new.data.canonicalString), actor: decision.actor, reason: nil,
                occurredAt: now, recordedAt: now, previousHash: [], hash: [])
            try Projection.apply(recorded, to: ledger)
            log.append(recorded)
            afterEach?(event, self)
        }
        return decision.events
    }

    /// The refusal of a command (which must be refused), checking that nothing changed.
    func refusal(_ command: Command, as actor: String?, sourceLocation: SourceLocation = #_sourceLocation) -> Refusal? {
        let before = ledger.snapshot()
        let count = log.count
        do {
            let events = try run(command, as: actor)
            Issue.record("expected a refusal, got \(events)", sourceLocation: sourceLocation)
            return nil
        } catch let refusal as Refusal {
            #expect(ledger.snapshot() == before, sourceLocation: sourceLocation)
            #expect(log.count == count, sourceLocation: sourceLocation)
            return refusal
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Expects a refusal with this exit code whose message contains `text`.
    func expectRefused(
        _ command: Command, as actor: String?, code: Int32, _ text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let refusal = refusal(command, as: actor, sourceLocation: sourceLocation) else { return }
        #expect(refusal.exitCode == code, "\(refusal.message)", sourceLocation: sourceLocation)
        #expect(refusal.message.contains(text), "\(refusal.message)", sourceLocation: sourceLocation)
    }

    /// Expects the command to succeed and append at least one event.
    func expectAllowed(_ command: Command, as actor: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let events = try run(command, as: actor)
            #expect(!events.isEmpty, "\(command) appended nothing", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(command) as \(actor ?? "nil") refused: \(error)", sourceLocation: sourceLocation)
        }
    }

    func workspace(_ reference: String) throws -> WorkspaceRecord {
        try WorkspaceReference(parsing: reference).resolve(in: ledger)
    }

    func row(_ reference: String, _ user: String) throws -> AccessRow? {
        ledger.accessRow(workspaceID: try workspace(reference).id, userKey: Name.key(user))
    }

    func status(_ reference: String) throws -> SharingStatus {
        try SharingStatus(of: try workspace(reference), reader: ledger)
    }

    /// Replays the log into a fresh ledger.
    func replayed() throws -> InMemoryLedger {
        let fresh = InMemoryLedger()
        for event in log { try Projection.apply(event, to: fresh) }
        return fresh
    }
}

/// A tiny seeded generator (SplitMix64) for reproducible property tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
