import AccessModel
import LedgerStore
import PostgresClient
import TestSupport
import Testing

@Suite("Hash chain and verification")
struct VerificationTests {
    /// The canonical encoding and hash of one event, checked against values computed outside
    /// Swift (Python's json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    /// and hashlib.sha256), so the README's recipe and the code agree.
    @Test func canonicalEncodingMatchesTheDocumentedRecipe() {
        let event = RecordedEvent(
            position: 1, stream: "user:alice", streamVersion: 1, type: "user_created",
            data: ["username": "Alice", "roles": ["owner"], "n": -42, "note": "tab\there \"q\" \\ é\u{01}"],
            actor: "alice", reason: nil,
            occurredAt: Timestamp(microseconds: 1_767_323_045_000_006),
            recordedAt: Timestamp(microseconds: 1_767_323_045_000_007),
            previousHash: EventHasher.genesis, hash: [])
        let canonical = EventHasher.canonicalBytes(
            position: event.position, stream: event.stream, streamVersion: event.streamVersion, type: event.type,
            data: event.data, actor: event.actor, reason: event.reason, occurredAt: event.occurredAt,
            recordedAt: event.recordedAt)
        let expected = #"""
            {"actor":"alice","data":{"n":-42,"note":"tab\there \"q\" \\ é\u0001","roles":["owner"],"username":"Alice"},"occurred_at":"2026-01-02T03:04:05.000006Z","position":1,"reason":null,"recorded_at":"2026-01-02T03:04:05.000007Z","stream":"user:alice","stream_version":1,"type":"user_created","v":1}
            """#
        #expect(String(decoding: canonical, as: UTF8.self) == expected)
        #expect(
            Hex.encode(EventHasher.expectedHash(of: event))
                == "c1210dfb346873202aa6909f7df3040583f02e7a7fb73786c8f476d3bc0b7975")
    }

    /// What a superuser could do: disable the guarding triggers, change history, re-enable them.
    func behindTheTriggersBack(_ owner: Connection, _ statement: String) throws {
        try owner.query("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        try owner.query(statement)
        for trigger in ["check_append", "refuse_update_delete", "refuse_truncate"] {
            try owner.query("ALTER TABLE ledger_events ENABLE ALWAYS TRIGGER ledger_events_\(trigger)")
        }
    }

    func fill(_ connection: Connection, count: Int) throws -> [RecordedEvent] {
        var all: [RecordedEvent] = []
        for n in 0..<count {
            all += try TestDatabase.append(
                [NewEvent(stream: "s\(n % 3)", type: "test_event", data: ["n": .int(Int64(n))])], on: connection)
        }
        return all
    }

    @Test func anEventEditedBehindTheTriggersBackIsFoundAtItsPosition() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        _ = try fill(owner, count: 20)
        try behindTheTriggersBack(owner, "UPDATE ledger_events SET data = '{\"n\": 999}' WHERE position = 13")
        let report = try EventStore(connection: owner).verify()
        #expect(!report.ok)
        #expect(report.firstBadPosition == 13)
        #expect(report.problem?.contains("altered") == true)
        #expect(report.head?.position == 12)
    }

    @Test func aDeletedEventIsAGap() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        _ = try fill(owner, count: 10)
        try behindTheTriggersBack(owner, "DELETE FROM ledger_events WHERE position = 4")
        let report = try EventStore(connection: owner).verify()
        #expect(report.firstBadPosition == 4)
        #expect(report.problem?.contains("missing") == true)
    }

    @Test func expectHeadCatchesARewriteAndATruncation() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        let original = try fill(owner, count: 10)
        let head = (position: Int64(10), hash: original[9].hash)
        #expect(try EventStore(connection: owner).verify(expectHead: head).ok)
        #expect(try EventStore(connection: owner).verify(expectHead: (5, original[4].hash)).ok)

        // Rewrite: drop the tail and append a different, internally valid history.
        try behindTheTriggersBack(owner, "DELETE FROM ledger_events WHERE position > 6")
        let truncated = try EventStore(connection: owner).verify(expectHead: head)
        #expect(!truncated.ok)
        #expect(truncated.problem?.contains("truncated") == true)

        _ = try fill(owner, count: 4)
        let chainOnly = try EventStore(connection: owner).verify()
        #expect(chainOnly.ok, "the rewritten chain is internally valid")
        let rewritten = try EventStore(connection: owner).verify(expectHead: head)
        #expect(!rewritten.ok)
        #expect(rewritten.firstBadPosition == 10)
        #expect(rewritten.problem?.contains("not part of the log") == true)
    }

    @Test func verifierCatchesEachKindOfDamageWithoutADatabase() {
        var events: [RecordedEvent] = []
        var previous = EventHasher.genesis
        for n in 1...5 {
            var event = RecordedEvent(
                position: Int64(n), stream: "s", streamVersion: Int64(n), type: "t", data: ["n": .int(Int64(n))],
                actor: "a", reason: nil, occurredAt: Timestamp(microseconds: Int64(n) * 1_000_000),
                recordedAt: Timestamp(microseconds: Int64(n) * 1_000_000), previousHash: previous, hash: [])
            event.hash = EventHasher.expectedHash(of: event)
            previous = event.hash
            events.append(event)
        }
        func firstProblem(_ list: [RecordedEvent]) -> (Int64, String)? {
            var verifier = ChainVerifier()
            for event in list { if let problem = verifier.check(event) { return (event.position, problem) } }
            return nil
        }
        #expect(firstProblem(events) == nil)
        var reason = events
        reason[2].reason = "edited"
        #expect(firstProblem(reason)?.0 == 3)
        var time = events
        time[3].occurredAt = Timestamp(microseconds: 0)
        #expect(firstProblem(time)?.1.contains("earlier") == true)
        var reordered = events
        reordered.swapAt(1, 2)
        #expect(firstProblem(reordered)?.0 == 3)
    }
}
