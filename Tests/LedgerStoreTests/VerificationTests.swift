import AccessModel
import Crypto
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

    /// A superuser who writes a payload accessledger never writes (a fraction, an integer beyond
    /// 64 bits) has altered the event: verify names its position, it does not fail to read it.
    @Test(arguments: ["1.0", "99999999999999999999", "1e3"])
    func anUnreadablePayloadIsTamperingAtItsPosition(_ value: String) throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        _ = try fill(owner, count: 12)
        try behindTheTriggersBack(
            owner, "UPDATE ledger_events SET data = jsonb_set(data, '{n}', '\(value)') WHERE position = 10")
        let report = try EventStore(connection: owner).verify()
        #expect(!report.ok)
        #expect(report.firstBadPosition == 10)
        #expect(report.head?.position == 9)
        #expect(report.events == 10)
        #expect(report.problem?.contains("altered") == true)
    }

    @Test func theEmptyLogsHeadIsAPrefixOfEveryLog() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        let genesis = (position: Int64(0), hash: EventHasher.genesis)
        #expect(try EventStore(connection: owner).verify(expectHead: genesis).ok)
        _ = try fill(owner, count: 3)
        #expect(try EventStore(connection: owner).verify(expectHead: genesis).ok)
        let wrong = try EventStore(connection: owner).verify(expectHead: (0, [UInt8](repeating: 1, count: 32)))
        #expect(!wrong.ok)
        #expect(wrong.firstBadPosition == 0)
    }

    /// After a rewrite no head of the log can be vouched for: the report names none.
    @Test func aRewrittenLogVouchesForNoHead() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        let original = try fill(owner, count: 6)
        try behindTheTriggersBack(owner, "DELETE FROM ledger_events WHERE position > 3")
        _ = try fill(owner, count: 3)
        let report = try EventStore(connection: owner).verify(expectHead: (6, original[5].hash))
        #expect(!report.ok)
        #expect(report.firstBadPosition == 6)
        #expect(report.head == nil)
    }

    /// A superuser deletes the last event: the projections say 4, the log ends at 3. Verify
    /// says so, and the next command appends nothing (it would reuse position 4).
    @Test func projectionsAheadOfTheLogAreAnIntegrityFailure() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        let ledger = Ledger(connection: owner)
        try ledger.execute(.createUser(username: "admin", serviceAccount: false, role: nil), actor: nil)
        for name in ["a", "b", "c"] {
            try ledger.execute(.createUser(username: name, serviceAccount: false, role: nil), actor: "admin")
        }
        #expect(try EventStore(connection: owner).verify().ok)
        try behindTheTriggersBack(owner, "DELETE FROM ledger_events WHERE position = 4")
        let report = try EventStore(connection: owner).verify()
        #expect(!report.ok)
        #expect(report.firstBadPosition == 4)
        #expect(report.problem?.contains("projections are at position 4") == true)
        #expect(report.problem?.contains("log ends at position 3") == true)
        #expect(throws: LedgerError.self) {
            try ledger.execute(.createUser(username: "d", serviceAccount: false, role: nil), actor: "admin")
        }
        do {
            try ledger.execute(.createUser(username: "d", serviceAccount: false, role: nil), actor: "admin")
        } catch let error as LedgerError {
            #expect(error.exitCode == 5)
            #expect(error.description.contains("position 4") && error.description.contains("position 3"))
        }
        #expect(try EventStore(connection: owner).head()?.position == 3)
    }

    // MARK: Signed checkpoints

    @Test func aCheckpointRoundTripsAndOnlyItsKeyVerifiesIt() throws {
        let key = Curve25519.Signing.PrivateKey()
        let checkpoint = try Checkpoint.sign(
            position: 42, hash: [UInt8](repeating: 7, count: 32), occurredAt: Timestamp(microseconds: 1_000_000),
            signedAt: Timestamp(microseconds: 2_000_000), key: key)
        let parsed = try Checkpoint(parsing: checkpoint.line)
        #expect(parsed == checkpoint)
        #expect(parsed.isSigned(by: key.publicKey))
        #expect(!parsed.isSigned(by: Curve25519.Signing.PrivateKey().publicKey))
        // Moving the checkpoint to another position breaks its signature.
        var moved = parsed
        moved.position = 41
        #expect(!moved.isSigned(by: key.publicKey))
        for bad in ["", "{}", "not json", checkpoint.line.replacingOccurrences(of: "\"v\":1", with: "\"v\":2")] {
            #expect(throws: LedgerError.self, "\(bad)") { try Checkpoint(parsing: bad) }
        }
    }

    /// The superuser rewrites the tail and recomputes every hash: the chain verifies, the signed
    /// checkpoint does not.
    @Test func aSignedCheckpointCatchesARecomputedChain() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        _ = try fill(owner, count: 8)
        let key = Curve25519.Signing.PrivateKey()
        let checkpoint = try EventStore(connection: owner).signCheckpoint(with: key)
        #expect(checkpoint.position == 8)
        #expect(checkpoint.isSigned(by: key.publicKey))
        let expected = ExpectedHead(position: checkpoint.position, hash: checkpoint.hash, name: "checkpoint 1")
        #expect(try EventStore(connection: owner).verify(expectHeads: [expected]).ok)

        try behindTheTriggersBack(owner, "DELETE FROM ledger_events WHERE position > 5")
        _ = try fill(owner, count: 5)
        #expect(try EventStore(connection: owner).verify().ok, "the recomputed chain is internally valid")
        let report = try EventStore(connection: owner).verify(expectHeads: [expected])
        #expect(!report.ok)
        #expect(report.firstBadPosition == 8)
        #expect(report.problem?.hasPrefix("checkpoint 1 is not part of the log") == true)
    }

    @Test func aLogThatDoesNotVerifyIsNeverSigned() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        _ = try fill(owner, count: 5)
        try behindTheTriggersBack(owner, "UPDATE ledger_events SET actor = 'mallory' WHERE position = 2")
        #expect(throws: LedgerError.self) {
            try EventStore(connection: owner).signCheckpoint(with: Curve25519.Signing.PrivateKey())
        }
    }
}
