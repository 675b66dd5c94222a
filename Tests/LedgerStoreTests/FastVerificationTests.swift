import AccessModel
import PostgresClient
import TestSupport
import Testing

@testable import LedgerStore

/// `verify` reads the log as binary COPY, writes each payload's canonical bytes straight from
/// PostgreSQL's text (`CanonicalJSONText`) and hashes on other threads. These tests hold it to
/// the definition: the tree path (`JSONValue.parse` + `canonicalBytes()`) and the verifier as it
/// was (`forEachEvent` + `ChainVerifier.check` of each decoded event), kept here as the reference.
@Suite("Verification at the speed of reading the log")
struct FastVerificationTests {
    /// The verifier before the fast path, step for step: decode every event, check it.
    static func referenceVerify(_ store: EventStore, expectHeads: [ExpectedHead] = []) throws -> VerifyReport {
        try store.inOneSnapshot { store, projectedPosition in
            var verifier = ChainVerifier()
            var failure: (position: Int64, problem: String)?
            var headRewritten = false
            var eventsRead: Int64 = 0
            let expected = Dictionary(grouping: expectHeads, by: \.position)
            struct Stop: Error {}
            func mismatch(_ head: ExpectedHead, found hash: [UInt8]) -> String {
                "\(head.name) is not part of the log: position \(head.position) now has hash \(Hex.encode(hash)), so "
                    + "the log was rewritten at or before it"
            }
            if let bad = expected[0]?.first(where: { $0.hash != EventHasher.genesis }) {
                failure = (0, mismatch(bad, found: EventHasher.genesis))
                headRewritten = true
            }
            do {
                try store.forEachEvent { event in
                    guard failure == nil else { throw Stop() }
                    eventsRead += 1
                    if let problem = verifier.check(event) {
                        failure = (min(event.position, verifier.expectedPosition), problem)
                        throw Stop()
                    }
                    if let bad = expected[event.position]?.first(where: { $0.hash != event.hash }) {
                        failure = (event.position, mismatch(bad, found: event.hash))
                        headRewritten = true
                        throw Stop()
                    }
                }
            } catch is Stop {
            } catch let unreadable as UnreadableEvent {
                eventsRead += 1
                failure = (
                    unreadable.position,
                    "\(unreadable.problem): the event was altered (its stored form does not hash to its hash)"
                )
            }
            let logEnd = verifier.expectedPosition - 1
            if failure == nil,
                let beyond = expectHeads.filter({ $0.position > logEnd }).min(by: { $0.position < $1.position })
            {
                failure = (
                    logEnd + 1, "\(beyond.name) is not part of the log: the log ends at position \(logEnd) (truncated?)"
                )
            }
            if failure == nil, projectedPosition > logEnd {
                failure = (
                    logEnd + 1,
                    "the projections are at position \(projectedPosition) but the log ends at position \(logEnd): "
                        + "events were removed from the end of the log"
                )
            }
            let head = headRewritten || verifier.checked == 0 ? nil : (logEnd, Hex.encode(verifier.previousHash))
            return VerifyReport(
                ok: failure == nil, events: eventsRead, head: head, firstBadPosition: failure?.position,
                problem: failure?.problem)
        }
    }

    /// The report of the fast verifier with `threads` hashing threads (0: on the calling one).
    static func fastVerify(_ store: EventStore, threads: Int, expectHeads: [ExpectedHead] = []) throws -> VerifyReport {
        try store.inOneSnapshot { store, projected in
            try store.verifyLog(expectHeads: expectHeads, projectedPosition: projected, threads: threads) { _ in }
        }
    }

    /// Every verifier agrees with the reference on `store`; returns the report.
    @discardableResult
    static func expectSameReports(
        _ store: EventStore, expectHeads: [ExpectedHead] = [], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> VerifyReport {
        let reference = try referenceVerify(store, expectHeads: expectHeads)
        for threads in [0, 1, 3] {
            let report = try fastVerify(store, threads: threads, expectHeads: expectHeads)
            #expect(report == reference, "threads: \(threads)", sourceLocation: sourceLocation)
            #expect(report.problem == reference.problem, sourceLocation: sourceLocation)
        }
        #expect(try store.verify(expectHeads: expectHeads) == reference, sourceLocation: sourceLocation)
        return reference
    }

    /// Generated payloads, as jsonb stores them (no U+0000, which jsonb refuses).
    static func payload(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        let strings = [
            "", "alice", "quote \" and backslash \\", "\u{1}\u{1f}\u{7f}", "\n\r\t\u{8}\u{c}", "\u{2028}\u{2029}",
            "😀 emoji", "é", "日本語", "\\u0041", "/", "\u{feff}", "\u{10FFFF}", "k", "ke", "key", "KEY", "aa", "b",
        ]
        let integers: [Int64] = [0, 1, -1, 42, -42, 1_000_000_000_000_000_000, .max, .min, .max - 1]
        func string() -> String { (0...rng.below(2)).map { _ in rng.pick(strings) }.joined() }
        switch rng.below(depth >= 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(rng.below(2) == 0)
        case 2: return .int(rng.pick(integers))
        case 3: return .int(Int64(bitPattern: rng.next()) >> rng.below(64))
        case 4: return .string(string())
        case 5: return .array((0..<rng.below(4)).map { _ in payload(&rng, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<rng.below(6) { members[string()] = payload(&rng, depth: depth + 1) }
            return .object(members)
        }
    }

    /// The payloads as PostgreSQL prints them take the fast path, to the tree's bytes.
    /// Keys with escapes go to the parser by design: the ledger's payload keys are identifiers.
    static func expectFastPathForStoredPayloads(
        _ connection: Connection, sourceLocation: SourceLocation = #_sourceLocation
    )
        throws
    {
        var writer = CanonicalJSONText()
        for row in try connection.query("SELECT data::text FROM ledger_events ORDER BY position").rows {
            let text = try row.string(0)
            var fast: [UInt8] = []
            let taken = Array(text.utf8).withUnsafeBufferPointer { writer.writeFast($0, into: &fast) }
            #expect(taken == (try JSONValue.parse(text)).keysNeedNoEscape, "\(text)", sourceLocation: sourceLocation)
            if !taken { try Array(text.utf8).withUnsafeBufferPointer { try writer.write($0, into: &fast) } }
            #expect(fast == (try JSONValue.parse(text).canonicalBytes()), "\(text)", sourceLocation: sourceLocation)
        }
    }

    /// The envelope is written member by member; it must be the canonical object the README
    /// describes (as the encoder built it before: a `JSONValue.object`, sorted by the encoder).
    @Test func theEnvelopeIsTheCanonicalObjectOfVersionsOneAndTwo() {
        var rng = SplitMix64(seed: 77)
        let texts = ["alice", "", "tést “actor” \u{2028}", "quote \" \\", "\n\u{1}", "😀", "workspace:12"]
        for _ in 0..<2_000 {
            let token: String? = rng.below(2) == 0 ? nil : rng.pick(texts)
            let reason: String? = rng.below(2) == 0 ? nil : rng.pick(texts)
            let data = Self.payload(&rng)
            let (position, version) = (Int64(bitPattern: rng.next()), Int64(bitPattern: rng.next()) >> rng.below(64))
            let times = (
                Timestamp(microseconds: Int64(bitPattern: rng.next()) % 300_000_000_000_000_000),
                Timestamp(microseconds: Int64(bitPattern: rng.next()) % 300_000_000_000_000_000)
            )
            let (stream, type, actor) = (rng.pick(texts), rng.pick(texts), rng.pick(texts))
            var members: [String: JSONValue] = [
                "v": .int(token == nil ? 1 : 2), "position": .int(position), "stream": .string(stream),
                "stream_version": .int(version), "type": .string(type), "data": data, "actor": .string(actor),
                "reason": reason.map(JSONValue.string) ?? .null, "occurred_at": .string(times.0.canonical),
                "recorded_at": .string(times.1.canonical),
            ]
            if let token { members["token"] = .string(token) }
            let written = EventHasher.canonicalBytes(
                position: position, stream: stream, streamVersion: version, type: type, data: data, actor: actor,
                reason: reason, token: token, occurredAt: times.0, recordedAt: times.1)
            #expect(written == JSONValue.object(members).canonicalBytes())
        }
    }

    @Test func generatedPayloadsStoredInPostgreSQLHashTheSameOnEveryPath() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        var rng = SplitMix64(seed: 12)
        var written: [RecordedEvent] = []
        for command in 0..<12 {
            let events = (0..<100).map { _ in
                NewEvent(stream: "s\(rng.below(5))", type: "test_event", data: Self.payload(&rng))
            }
            written += try TestDatabase.append(
                events, on: owner, actor: command % 2 == 0 ? "tester" : "tést “actor”",
                reason: command % 3 == 0 ? nil : "reason \(command) \u{2028} \"q\" 😀")
        }
        try Self.expectFastPathForStoredPayloads(owner)
        let report = try Self.expectSameReports(EventStore(connection: owner))
        #expect(report.ok)
        #expect(report.events == 1_200)
        #expect(report.head?.hash == Hex.encode(written.last?.hash ?? []))
    }

    /// One event of every type the ledger writes, through the CLI's encoding (v1) and the API's (v2).
    @Test func everyEventTypeTheLedgerWritesHashesTheSame() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        let ws = WorkspaceIdentity(id: 7, owner: "oncall-sre", name: "oncall-workspace")
        let samples: [LedgerEvent] = [
            .userCreated(username: "Alice", kind: .human, role: .member),
            .userCreated(username: "oncall-sre", kind: .serviceAccount, role: .userAdmin),
            .userRoleChanged(username: "alice", from: .member, to: .auditor),
            .userSuspended(username: "alice"), .userActivated(username: "alice"), .userDeleted(username: "alice"),
            .tokenCreated(
                username: "oncall-sre", name: "automation", lifetimeSeconds: 8760 * 3600,
                secretSHA256: String(repeating: "ab", count: 32)),
            .tokenRevoked(username: "oncall-sre", name: "automation"),
            .groupCreated(name: "SRE-oncall", source: .manual), .groupCreated(name: "idp-group", source: .idp),
            .groupDeleted(name: "sre-oncall"), .groupMembersAdded(group: "sre-oncall", usernames: ["alice", "bob"]),
            .groupMembersRemoved(group: "sre-oncall", usernames: ["carol"]),
            .groupSynced(
                GroupSync(
                    username: "alice", claimed: ["sre", "ops", "nope"], added: ["ops"], removed: ["dev"],
                    ignored: ["nope"], created: [])),
            .groupSynced(GroupSync(username: "bob", claimed: [], added: [], removed: [])),
            .workspaceCreated(ws, template: "oncall"), .workspaceStarted(ws), .workspaceStopped(ws),
            .workspaceRestarted(ws), .workspaceRenamed(ws, newName: "renamed"), .workspaceDeleted(ws),
            .workspaceShared(
                ws, users: [ShareEntry(name: "alice", role: .admin), ShareEntry(name: "bob", role: .use)],
                groups: [ShareEntry(name: "Everyone", role: .use)]),
            .workspaceShared(ws, users: [], groups: [ShareEntry(name: "sre", role: .admin)]),
            .workspaceUnshared(ws, users: ["alice"], groups: ["sre", "Everyone"]),
            .webhookAdded(WebhookRecord(name: "SIEM", url: "https://siem.example/hook", types: ["workspace_shared"])),
            .webhookAdded(WebhookRecord(name: "cache", url: "http://127.0.0.1:9/", types: [])),
            .webhookRemoved(name: "siem"),
        ]
        #expect(Set(samples.map(\.type)) == Set(LedgerEventType.allCases))
        for (index, sample) in samples.enumerated() {
            try owner.transaction { tx in
                let store = EventStore(connection: tx)
                var context = try store.lockForAppend()
                try store.append(
                    [sample.newEvent],
                    metadata: EventMetadata(
                        actor: "admin", reason: index % 2 == 0 ? "OPS-1234" : nil,
                        token: index % 3 == 0 ? "admin/ci-token" : nil), context: &context)
            }
        }
        try Self.expectFastPathForStoredPayloads(owner)
        let report = try Self.expectSameReports(EventStore(connection: owner))
        #expect(report.ok)
        #expect(report.events == Int64(samples.count))
    }

    /// What a superuser could do behind the triggers' back, each found with the same report as
    /// before, at positions on either side of the hashing batches' edges.
    @Test(arguments: [
        "UPDATE ledger_events SET data = '{\"n\": 999}' WHERE position = 1000",
        "UPDATE ledger_events SET data = jsonb_set(data, '{n}', '1.0') WHERE position = 1001",
        "UPDATE ledger_events SET data = jsonb_set(data, '{n}', '99999999999999999999') WHERE position = 999",
        "UPDATE ledger_events SET data = jsonb_set(data, '{n}', '1e3') WHERE position = 2",
        "UPDATE ledger_events SET data = jsonb_set(data, '{k}', '\"\\u2028\"') WHERE position = 1500",
        "UPDATE ledger_events SET hash = sha256(hash) WHERE position = 2001",
        "UPDATE ledger_events SET previous_hash = sha256(previous_hash) WHERE position = 2100",
        "DELETE FROM ledger_events WHERE position = 1001",
        "DELETE FROM ledger_events WHERE position > 2400",
        "UPDATE ledger_events SET occurred_at = occurred_at - interval '1 day' WHERE position = 2000",
        "UPDATE ledger_events SET recorded_at = recorded_at + interval '1 microsecond' WHERE position = 777",
        "UPDATE ledger_events SET reason = 'edited' WHERE position = 1999",
        "UPDATE ledger_events SET reason = NULL WHERE position = 1200",
        "UPDATE ledger_events SET actor = 'mallory ☠' WHERE position = 3",
        "UPDATE ledger_events SET token = 'admin/stolen' WHERE position = 1234",
        "UPDATE ledger_events SET type = 'other' WHERE position = 2500",
        "UPDATE ledger_events SET stream_version = stream_version + 100000 WHERE position = 4",
        "UPDATE ledger_events SET position = position + 10000 WHERE position = 1600",
    ])
    func tamperingGivesTheSameReport(_ statement: String) throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        var rng = SplitMix64(seed: 5)
        for command in 0..<5 {
            let events = (0..<500).map { n in
                NewEvent(
                    stream: "s\(n % 7)", type: "test_event",
                    data: ["n": .int(Int64(command * 500 + n)), "k": .string("é\(n)"), "nested": Self.payload(&rng)])
            }
            try TestDatabase.append(events, on: owner, reason: command == 2 ? "why" : nil)
        }
        let intact = try EventStore(connection: owner).verify()
        #expect(intact.ok)
        try owner.query("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        try owner.query(statement)
        let report = try Self.expectSameReports(EventStore(connection: owner))
        // Deleting the end is found by the projections' position or an expected head (below).
        #expect(report.ok == statement.contains("position > 2400"))
        // Expected heads, before, at and after the damage; one beyond the end.
        let store = EventStore(connection: owner)
        for position: Int64 in [0, 1, 999, 1000, 1001, 2000, 2500, 2600] {
            let hash = try owner.query("SELECT hash FROM ledger_events WHERE position = $1", [position]).first?.bytes(0)
            try Self.expectSameReports(
                store, expectHeads: [ExpectedHead(position: position, hash: hash ?? EventHasher.genesis)])
            try Self.expectSameReports(
                store, expectHeads: [ExpectedHead(position: position, hash: [UInt8](repeating: 7, count: 32))])
        }
    }

    @Test func expectedHeadsAndTheEmptyLogGiveTheSameReports() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        let store = EventStore(connection: owner)
        try Self.expectSameReports(store)
        try Self.expectSameReports(store, expectHeads: [ExpectedHead(position: 0, hash: EventHasher.genesis)])
        try Self.expectSameReports(
            store, expectHeads: [ExpectedHead(position: 0, hash: [UInt8](repeating: 1, count: 32))])
        try Self.expectSameReports(store, expectHeads: [ExpectedHead(position: 3, hash: EventHasher.genesis)])
        let events = try TestDatabase.append(
            (0..<2_345).map { NewEvent(stream: "s", type: "test_event", data: ["n": .int(Int64($0))]) }, on: owner)
        let heads = events.enumerated().filter { $0.offset % 400 == 0 }.map {
            ExpectedHead(position: $0.element.position, hash: $0.element.hash, name: "checkpoint on line \($0.offset)")
        }
        #expect(try Self.expectSameReports(store, expectHeads: heads).ok)
        #expect(
            try Self.expectSameReports(store, expectHeads: heads + [ExpectedHead(position: 1_500, hash: [])]).ok
                == false)
        #expect(try Self.expectSameReports(store, expectHeads: [ExpectedHead(position: 9_999, hash: [])]).ok == false)
    }

    /// The verifier stops at the first bad event without reading the rest of a long log, and
    /// the connection is usable afterwards.
    @Test func stoppingEarlyLeavesTheConnectionUsable() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        try TestDatabase.append(
            (0..<5_000).map { NewEvent(stream: "s", type: "test_event", data: ["n": .int(Int64($0))]) }, on: owner)
        try owner.query("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        try owner.query("UPDATE ledger_events SET data = '{\"n\": -1}' WHERE position = 10")
        for threads in [0, 1, 2] {
            let report = try Self.fastVerify(EventStore(connection: owner), threads: threads)
            #expect(report.firstBadPosition == 10)
            #expect(report.events == 10)
            #expect(try owner.query("SELECT count(*) FROM ledger_events").first?.int64(0) == 5_000)
        }
    }
}

extension JSONValue {
    /// No key, at any depth, has a character the canonical form escapes.
    var keysNeedNoEscape: Bool {
        switch self {
        case .array(let items): return items.allSatisfy(\.keysNeedNoEscape)
        case .object(let members):
            return members.allSatisfy { key, value in
                !key.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
                    && value.keysNeedNoEscape
            }
        default: return true
        }
    }
}
