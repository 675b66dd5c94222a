import AccessModel
import Foundation
import LedgerStore
import PostgresClient
import TestSupport
import Testing

@Suite("Event log in PostgreSQL")
struct EventStoreTests {
    func event(_ stream: String, _ n: Int64) -> NewEvent {
        NewEvent(stream: stream, type: "test_event", data: ["n": .int(n), "note": "line\nbreak \"quoted\" é"])
    }

    @Test func appendAndReadBack() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        let first = try TestDatabase.append([event("a", 1), event("b", 1)], on: connection, reason: "TICKET-1")
        let second = try TestDatabase.append([event("a", 2)], on: connection, actor: "bob")
        let stored = try EventStore(connection: connection).events()
        #expect(stored == first + second)
        #expect(stored.map(\.position) == [1, 2, 3])
        #expect(stored.map(\.streamVersion) == [1, 1, 2])
        #expect(stored[0].reason == "TICKET-1" && stored[2].reason == nil)
        #expect(stored[2].actor == "bob")
        #expect(stored[0].data["note"]?.stringValue == "line\nbreak \"quoted\" é")
        #expect(stored[1].previousHash == stored[0].hash && stored[2].previousHash == stored[1].hash)
        #expect(stored[0].previousHash == [UInt8](repeating: 0, count: 32))
        #expect(stored[0].occurredAt <= stored[2].occurredAt)
        let report = try EventStore(connection: connection).verify()
        #expect(report.ok && report.events == 3 && report.head?.position == 3)
        #expect(report.head?.hash == Hex.encode(stored[2].hash))
    }

    @Test func streamVersionConflictIsACleanErrorAndAppendsNothing() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        try TestDatabase.append([event("a", 1)], on: connection)
        #expect(throws: LedgerError.self) {
            try connection.transaction { tx in
                let store = EventStore(connection: tx)
                var context = try store.lockForAppend()
                try store.append(
                    [event("a", 2)], metadata: EventMetadata(actor: "x"), context: &context,
                    expectedVersions: ["a": 0])
            }
        }
        do {
            try connection.transaction { tx in
                let store = EventStore(connection: tx)
                var context = try store.lockForAppend()
                try store.append(
                    [event("a", 2)], metadata: EventMetadata(actor: "x"), context: &context,
                    expectedVersions: ["a": 0])
            }
        } catch let error as LedgerError {
            #expect(error.exitCode == 4)
            #expect(error.description.contains("stream a is at version 1, expected 0"))
        }
        #expect(try EventStore(connection: connection).events().count == 1)
        // A duplicate (stream, version) is refused by the database's unique constraint too.
        let owner = try db.connect()
        let error = #expect(throws: PostgresError.self) {
            try owner.query(
                """
                INSERT INTO ledger_events SELECT 2, stream, stream_version, type, data, actor, reason, occurred_at,
                       clock_timestamp(), hash, hash FROM ledger_events WHERE position = 1
                """)
        }
        #expect(error?.sqlState == "23505")
        #expect(error?.constraint == "ledger_events_stream_version_key")
    }

    @Test func occurredAtMayNotGoBackwardsOrIntoTheFuture() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        let past = Timestamp(rfc3339: "2026-03-03T02:14:00Z")
        let recorded = try TestDatabase.append([event("a", 1)], on: connection, occurredAt: past)
        #expect(recorded[0].occurredAt == past)
        #expect(recorded[0].recordedAt > recorded[0].occurredAt)
        let earlier = Timestamp(rfc3339: "2026-03-03T02:13:59Z")
        let backwards = #expect(throws: LedgerError.self) {
            try TestDatabase.append([event("a", 2)], on: connection, occurredAt: earlier)
        }
        #expect(backwards?.exitCode == 2)
        #expect(backwards?.description.contains("2026-03-03T02:13:59Z") == true)
        let future = Timestamp(rfc3339: "2999-01-01T00:00:00Z")
        #expect(throws: LedgerError.self) {
            try TestDatabase.append([event("a", 2)], on: connection, occurredAt: future)
        }
        #expect(try EventStore(connection: connection).events().count == 1)
    }

    @Test(arguments: [
        "UPDATE ledger_events SET actor = 'mallory'", "DELETE FROM ledger_events", "TRUNCATE ledger_events",
    ])
    func changesAreRefusedForTheApplicationRole(statement: String) throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        try TestDatabase.append([event("a", 1)], on: connection)
        let error = #expect(throws: PostgresError.self) { try connection.query(statement) }
        #expect(error?.sqlState == "42501")
        #expect(try EventStore(connection: connection).events().first?.actor == "tester")
    }

    @Test(arguments: [
        "UPDATE ledger_events SET actor = 'mallory'", "DELETE FROM ledger_events", "TRUNCATE ledger_events",
    ])
    func changesAreRefusedForTheTableOwnerEvenAsReplica(statement: String) throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        try TestDatabase.append([event("a", 1)], on: owner)
        for role in ["origin", "replica"] {
            try owner.query("SET session_replication_role = \(role)")
            let error = #expect(throws: PostgresError.self) { try owner.query(statement) }
            #expect(error?.sqlState == "42501")
            #expect(error?.message.contains("append-only") == true)
        }
        try owner.query("SET session_replication_role = origin")
        #expect(try EventStore(connection: owner).events().count == 1)
    }

    @Test func theDatabaseRefusesRowsThatBreakTheChain() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        try TestDatabase.append([event("a", 1), event("a", 2)], on: owner)
        func insert(position: Int64, previous: String, occurred: String = "clock_timestamp()") throws {
            try owner.query(
                """
                INSERT INTO ledger_events (position, stream, stream_version, type, data, actor, occurred_at,
                    recorded_at, previous_hash, hash)
                SELECT $1, 'b', 1, 'test_event', '{}', 'x', \(occurred), clock_timestamp(), \(previous), hash
                FROM ledger_events WHERE position = 2
                """, [position])
        }
        let gap = #expect(throws: PostgresError.self) { try insert(position: 4, previous: "hash") }
        #expect(gap?.message.contains("gap") == true)
        let fork = #expect(throws: PostgresError.self) { try insert(position: 3, previous: "previous_hash") }
        #expect(fork?.message.contains("does not chain") == true)
        let backwards = #expect(throws: PostgresError.self) {
            try insert(position: 3, previous: "hash", occurred: "occurred_at - interval '1 hour'")
        }
        #expect(backwards?.message.contains("earlier") == true)
        #expect(try EventStore(connection: owner).events().count == 2)
    }

    @Test func concurrentAppendersGetGapFreePositionsAndOneChain() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let writers = 8
        let appendsEach = 500
        let conninfo = db.conninfo
        let errors = onThreads(writers) { writer in
            let connection = try Connection(conninfo)
            try LedgerDatabase.prepare(connection)
            for n in 0..<appendsEach {
                try TestDatabase.append(
                    [NewEvent(stream: "writer:\(writer)", type: "test_event", data: ["n": .int(Int64(n))])],
                    on: connection, actor: "writer\(writer)")
            }
        }
        #expect(errors.isEmpty, "\(errors.prefix(3))")
        let connection = try db.connect()
        let summary = try connection.query(
            "SELECT count(*), min(position), max(position), count(DISTINCT position) FROM ledger_events"
        ).first
        let total = Int64(writers * appendsEach)
        #expect(try summary?.int64(0) == total)
        #expect(try summary?.int64(1) == 1)
        #expect(try summary?.int64(2) == total)
        #expect(try summary?.int64(3) == total)
        // Each writer's stream versions are exactly 1...500, in its own order.
        let versions = try connection.query(
            """
            SELECT count(*) FROM ledger_events e
            WHERE e.stream_version <> (e.data->>'n')::bigint + 1
            """
        ).first
        #expect(try versions?.int64(0) == 0)
        let report = try EventStore(connection: connection).verify()
        #expect(report.ok, "\(report.problem ?? "")")
        #expect(report.events == total)
    }
}
