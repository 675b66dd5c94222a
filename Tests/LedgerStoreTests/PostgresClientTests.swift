import Foundation
import LedgerStore
import PostgresClient
import TestSupport
import Testing

@Suite("libpq client against a real server")
struct PostgresClientTests {
    /// How many round trips `body` cost `connection`.
    static func roundTrips(of connection: Connection, _ body: () throws -> Void) rethrows -> Int {
        let before = connection.roundTrips
        try body()
        return connection.roundTrips - before
    }

    @Test func parametersAreNeverSplicedIntoSQL() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        let hostile = "'); DROP TABLE x; --"
        let row = try connection.query(
            "SELECT $1::text, $2::bigint, $3::bool, $4::text IS NULL",
            [
                hostile, Int64.max, true, String?.none,
            ]
        ).first
        #expect(row?[0] == hostile)
        #expect(try row?.int64(1) == Int64.max)
        #expect(try row?.bool(2) == true)
        #expect(try row?.bool(3) == true)
        let array = try connection.query("SELECT ($1::text[])[2], cardinality($1::text[])", [["a", "b\"\\,{}", "c"]])
        #expect(array.first?[0] == "b\"\\,{}")
        #expect(try array.first?.int64(1) == 3)
    }

    @Test func serverErrorsCarrySQLStateDetailAndConstraint() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        try connection.query("CREATE TABLE t (id int CONSTRAINT t_pkey PRIMARY KEY)")
        try connection.query("INSERT INTO t VALUES (1)")
        let error = #expect(throws: PostgresError.self) { try connection.query("INSERT INTO t VALUES (1)") }
        #expect(error?.kind == .server)
        #expect(error?.sqlState == "23505")
        #expect(error?.constraint == "t_pkey")
        #expect(error?.detail?.contains("(id)=(1)") == true)
        #expect(error?.description.contains("SQLSTATE 23505") == true)
        // The connection is still usable.
        #expect(try connection.query("SELECT count(*) FROM t").first?.int64(0) == 1)
    }

    @Test func aDroppedConnectionGivesAClearErrorNotAHang() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let victim = try db.connect()
        let killer = try db.connect()
        try killer.query("SELECT pg_terminate_backend($1, 5000)", [victim.backendPID])
        let start = Date()
        let error = #expect(throws: PostgresError.self) { try victim.query("SELECT 1") }
        #expect(error?.kind == .connection)
        #expect(error?.message.isEmpty == false)
        #expect(error?.message.contains("\n") == false)
        let again = #expect(throws: PostgresError.self) { try victim.query("SELECT 1") }
        #expect(again?.kind == .connection)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func badConninfoAndMissingServerFailFast() throws {
        let start = Date()
        let missing = #expect(throws: PostgresError.self) {
            try Connection("host=/nonexistent-accessledger dbname=x connect_timeout=2")
        }
        #expect(missing?.kind == .connection)
        #expect(missing?.message.contains("nonexistent-accessledger") == true)
        let garbage = #expect(throws: PostgresError.self) { try Connection("this is = = not a conninfo") }
        #expect(garbage?.kind == .connection)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func transactionsRollBackAndRetrySerializationFailures() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        try connection.query("CREATE TABLE t (n int)")
        var attempts = 0
        try connection.transaction { tx in
            attempts += 1
            try tx.query("INSERT INTO t VALUES ($1)", [attempts])
            if attempts == 1 {
                try tx.query("DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = 'serialization_failure'; END $$")
            }
        }
        #expect(attempts == 2)
        #expect(try connection.query("SELECT array_agg(n)::text FROM t").first?[0] == "{2}")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction { tx in
                try tx.query("INSERT INTO t VALUES (99)")
                throw Boom()
            }
        }
        #expect(try connection.query("SELECT count(*) FROM t").first?.int64(0) == 1)
        #expect(!connection.inTransaction)
    }

    @Test func pipelineRunsStatementsInOrderAndStopsAtTheFirstFailure() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        try connection.query("CREATE TABLE t (n int PRIMARY KEY)")
        let results = try connection.pipeline((1...50).map { Statement("INSERT INTO t VALUES ($1) RETURNING n", [$0]) })
        #expect(results.count == 50)
        #expect(results.last?.first?[0] == "50")
        let error = #expect(throws: PostgresError.self) {
            try connection.transaction { tx in
                _ = try tx.pipeline([
                    Statement("INSERT INTO t VALUES (100)"), Statement("INSERT INTO t VALUES (1)"),
                    Statement("INSERT INTO t VALUES (101)"),
                ])
            }
        }
        #expect(error?.sqlState == "23505")
        #expect(try connection.query("SELECT count(*) FROM t").first?.int64(0) == 50)
        #expect(try connection.query("SELECT 1").first?[0] == "1", "usable after a failed pipeline")
    }

    @Test func copyLoadsAwkwardValuesExactly() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        try connection.query("CREATE TABLE t (id int, value text)")
        let awkward = ["tab\there", "new\nline", "back\\slash", "\\N", "", "é ✓", "cr\rx"]
        var rows: [[String?]] = awkward.enumerated().map { [String($0.offset), $0.element] }
        rows.append(["99", nil])
        rows += (100..<5100).map { [String($0), "row \($0)"] }
        let loaded = try connection.copyIn("COPY t (id, value) FROM STDIN", rows: rows)
        #expect(loaded == rows.count)
        let back = try connection.query("SELECT value FROM t WHERE id < 100 ORDER BY id").rows.map { $0[0] }
        #expect(back == awkward.map(Optional.some) + [nil])
    }

    @Test func binaryCopyLoadsEveryTypeExactly() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        try connection.query("CREATE TABLE t (id bigint, value text, flag boolean, at timestamptz, list text[])")
        let awkward = ["tab\there", "new\nline", "back\\slash", "\\N", "", "é ✓", "{a,\"b\"}", "NULL"]
        var rows = BinaryCopyRows()
        for (index, text) in awkward.enumerated() {
            rows.beginRow(fields: 5)
            rows.int64(Int64(index))
            rows.text(text)
            rows.bool(index % 2 == 0)
            rows.timestamp(unixMicroseconds: 1_767_225_600_000_000 + Int64(index))  // 2026-01-01T00:00:00Z
            rows.textArray(index == 0 ? [] : Array(awkward.prefix(index)))
        }
        rows.beginRow(fields: 5)
        rows.int64(Int64.min)
        rows.text(nil)
        rows.bool(false)
        rows.timestamp(unixMicroseconds: nil)
        rows.textArray(["only"])
        for id in 100..<5100 {
            rows.beginRow(fields: 5)
            rows.int64(Int64(id))
            rows.text("row \(id)")
            rows.bool(true)
            rows.timestamp(unixMicroseconds: 0)
            rows.textArray(["x"])
        }
        let loaded = try connection.copyIn("COPY t FROM STDIN (FORMAT binary)", binary: rows)
        #expect(loaded == awkward.count + 5_001 && rows.count == loaded)
        let back = try connection.query(
            """
            SELECT id, value, flag, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), list = $1::text[],
                   cardinality(list)
            FROM t WHERE id < 100 ORDER BY id
            """, [["only"]]
        ).rows
        #expect(back.count == awkward.count + 1)
        #expect(back[0].values == ["\(Int64.min)", nil, "f", nil, "t", "1"])
        for (index, text) in awkward.enumerated() {
            let row = back[index + 1]
            #expect(row[1] == text && row[2] == (index % 2 == 0 ? "t" : "f"))
            #expect(row[3] == "2026-01-01 00:00:00.00000\(index)")
            #expect(row[5] == String(index))
            let list = try connection.query("SELECT unnest(list) FROM t WHERE id = $1", [Int64(index)]).rows.map {
                $0[0]
            }
            #expect(list == awkward.prefix(index).map(Optional.some))
        }
        #expect(try connection.query("SELECT count(*) FROM t WHERE at = 'epoch'").first?[0] == "5000")

        // A mismatch with the table is the server's error, and the connection stays usable.
        var wrong = BinaryCopyRows()
        wrong.beginRow(fields: 1)
        wrong.text("not five columns")
        #expect(throws: PostgresError.self) {
            try connection.copyIn("COPY t FROM STDIN (FORMAT binary)", binary: wrong)
        }
        #expect(try connection.query("SELECT count(*) FROM t").first?[0] == String(awkward.count + 5_001))
    }

    @Test func streamingReadsEveryRowAndCanStopEarly() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        var sum: Int64 = 0
        try connection.stream("SELECT g FROM generate_series(1, $1::int) g", [10_000]) { row in
            sum += try row.int64(0)
        }
        #expect(sum == 50_005_000)
        struct Enough: Error {}
        var seen = 0
        #expect(throws: Enough.self) {
            try connection.stream("SELECT g FROM generate_series(1, 1000000) g") { _ in
                seen += 1
                if seen == 10 { throw Enough() }
            }
        }
        #expect(seen == 10)
        #expect(try connection.query("SELECT 2").first?[0] == "2", "usable after stopping a stream")
    }

    @Test func listenReceivesNotifications() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let listener = try db.connect()
        let sender = try db.connect()
        try listener.listen("ledger appended")
        #expect(try listener.notifications(timeoutMilliseconds: 50).isEmpty)
        try sender.notify("ledger appended", payload: "42")
        var received: [PostgresClient.Notification] = []
        for _ in 0..<50 where received.isEmpty {
            received = try listener.notifications(timeoutMilliseconds: 100)
        }
        #expect(received.map(\.payload) == ["42"])
        #expect(received.first?.channel == "ledger appended")
        #expect(received.first?.senderPID == sender.backendPID)
    }

    @Test func aLazyTransactionSendsBeginWithItsFirstStatementAndMayCommitInItsLast() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        try connection.query("CREATE TABLE t (v int)")
        // Nothing sent: nothing to begin or commit.
        var open = false
        let none = try PostgresClientTests.roundTrips(of: connection) {
            try connection.transaction(lazyBegin: true) { tx in open = tx.inTransaction }
        }
        #expect(none == 0 && open)
        // BEGIN rides with the insert; COMMIT on its own.
        let two = try PostgresClientTests.roundTrips(of: connection) {
            try connection.transaction(lazyBegin: true) { tx in _ = try tx.query("INSERT INTO t VALUES (1)") }
        }
        #expect(two == 2)
        // COMMIT at the end of the body's pipeline: one round trip in all.
        let one = try PostgresClientTests.roundTrips(of: connection) {
            try connection.transaction(lazyBegin: true) { tx in
                _ = try tx.pipeline([Statement("INSERT INTO t VALUES (2)"), Statement("COMMIT")])
            }
        }
        #expect(one == 1)
        // A failure rolls back what the first round trip did.
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction(lazyBegin: true) { tx in
                try tx.query("INSERT INTO t VALUES (3)")
                throw Boom()
            }
        }
        #expect(!connection.inTransaction)
        #expect(try connection.query("SELECT string_agg(v::text, ',' ORDER BY v) FROM t").first?[0] == "1,2")
    }

    @Test func aPreparedQueryIsPreparedOnItsSecondRun() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        var trips: [Int] = []
        for value in 1...3 {
            let before = connection.roundTrips
            #expect(try connection.queryPrepared("SELECT $1::int + 1", [value]).first?[0] == String(value + 1))
            trips.append(connection.roundTrips - before)
        }
        #expect(trips == [1, 2, 1], "run unprepared, then prepared and run, then run")
    }

    /// The server's own view: which texts are prepared on this session.
    private func preparedTexts(_ connection: Connection) throws -> Set<String> {
        Set(try connection.query("SELECT statement FROM pg_prepared_statements").rows.map { try $0.string(0) })
    }

    @Test func aPipelinePreparesATextOnItsSecondRunAndUsesItAfterwards() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        try connection.query("CREATE TABLE t (v int)")
        let insert = "INSERT INTO t SELECT $1::int"
        let read = "SELECT count(*) FROM t WHERE v >= $1::int"
        var counts: [String] = []
        for value in 1...3 {
            let results = try connection.pipeline([Statement(insert, [value]), Statement(read, [1])])
            counts.append(try results[1].rows[0].string(0))
            #expect(try preparedTexts(connection) == (value == 1 ? [] : [insert, read]), "after run \(value)")
        }
        #expect(counts == ["1", "2", "3"])
        #expect(connection.preparedStatementCount == 2)
        // The same text twice in one pipeline, on its second sight: prepared once, run twice.
        let twice = "SELECT $1::int * 2"
        _ = try connection.pipeline([Statement(twice, [1])])
        let doubled = try connection.pipeline([Statement(twice, [2]), Statement(twice, [3])])
        #expect(try doubled.map { try $0.rows[0].string(0) } == ["4", "6"])
        #expect(try preparedTexts(connection).contains(twice))
    }

    @Test func aPrepareSkippedByAnEarlierFailureIsPreparedOnALaterRun() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        let text = "SELECT $1::int + 10"
        _ = try connection.pipeline([Statement(text, [1])])  // seen once
        // Second sight, but the statement before it fails: its Parse is skipped by the server.
        #expect(throws: PostgresError.self) {
            try connection.pipeline([Statement("SELECT 1/$1::int", [0]), Statement(text, [2])])
        }
        #expect(try preparedTexts(connection).isEmpty)
        #expect(connection.preparedStatementCount == 0)
        let again = try connection.pipeline([Statement(text, [3])])
        #expect(try again[0].rows[0].string(0) == "13")
        #expect(try preparedTexts(connection) == [text])
    }

    @Test func aStatementPreparedInARolledBackTransactionStaysPrepared() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        let text = "SELECT $1::int - 1"
        _ = try connection.pipeline([Statement(text, [1])])
        struct Abandon: Error {}
        #expect(throws: Abandon.self) {
            try connection.transaction(lazyBegin: true) { tx in
                _ = try tx.pipeline([Statement(text, [2])])  // prepared here
                throw Abandon()
            }
        }
        #expect(!connection.inTransaction)
        #expect(try preparedTexts(connection) == [text])
        let results = try connection.pipeline([Statement(text, [5])])
        #expect(try results[0].rows[0].string(0) == "4")
    }

    @Test func statementsSentWithTheNextRoundTripRunFirstInItAndRollbackForgetsThem() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        try connection.query("CREATE TABLE t (v int)")
        func values() throws -> String? {
            let result = try connection.query("SELECT string_agg(v::text, ',' ORDER BY v) FROM t")
            return result.first?[0]
        }
        // Queued statements cost no round trip of their own and run before the next statement.
        let one = try PostgresClientTests.roundTrips(of: connection) {
            try connection.query("BEGIN")
            connection.sendWithNext("INSERT INTO t VALUES (1)")
            connection.sendWithNext("SAVEPOINT s")
            #expect(try connection.query("SELECT count(*) FROM t").first?[0] == "1")
        }
        #expect(one == 2)
        // A savepoint set that way is there to roll back to; RELEASE rides with the COMMIT.
        try connection.query("INSERT INTO t VALUES (2)")
        try connection.query("ROLLBACK TO SAVEPOINT s")
        connection.sendWithNext("RELEASE SAVEPOINT s")
        #expect(try PostgresClientTests.roundTrips(of: connection) { try connection.query("COMMIT") } == 1)
        #expect(!connection.inTransaction)
        #expect(try values() == "1")
        // A failing queued statement fails the round trip that carries it, and nothing after it runs.
        connection.sendWithNext("INSERT INTO t VALUES ('not a number')")
        #expect(throws: PostgresError.self) { try connection.query("INSERT INTO t VALUES (3)") }
        #expect(try values() == "1")
        // rollback() forgets what was queued and the lazily begun BEGIN, and ends an open transaction.
        try connection.query("BEGIN")
        try connection.query("INSERT INTO t VALUES (4)")
        connection.sendWithNext("INSERT INTO t VALUES (5)")
        try connection.rollback()
        #expect(!connection.inTransaction)
        #expect(try values() == "1")
        // In a lazily begun transaction a queued statement goes after the BEGIN, and one queued
        // but never carried by a statement of the body is still sent, and committed.
        try connection.transaction(lazyBegin: true) { tx in tx.sendWithNext("INSERT INTO t VALUES (6)") }
        #expect(try values() == "1,6")
        // A failure in the body forgets what it queued.
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try connection.transaction(lazyBegin: true) { tx in
                tx.sendWithNext("INSERT INTO t VALUES (7)")
                throw Boom()
            }
        }
        #expect(try values() == "1,6")
    }
}
