import AccessModel
import Foundation
import LedgerStore
import PostgresClient
import TestSupport
import Testing

/// ``HistoryImport``: decided by the same rules as live commands, one transaction with the
/// projections, and all or nothing.
@Suite("HistoryImport: all or nothing, projections included")
struct HistoryImportTests {
    /// A second of the past, `step` seconds after a start far enough back for every test.
    static func time(_ step: Int) -> Timestamp {
        Timestamp(microseconds: (Int64(Date().timeIntervalSince1970) - 100_000 + Int64(step)) * 1_000_000)
    }

    /// The same random history on a fresh database: root and the users, then `count` random
    /// commands run live (refused ones skipped), each at its own second.
    static func live(_ db: TestDatabase, seed: UInt64, count: Int) throws -> [ImportItem] {
        let ledger = Ledger(connection: try db.connectAsApp())
        var random = SplitMix64(seed: seed)
        var accepted: [ImportItem] = []
        func run(_ command: Command, _ actor: String?, step: Int) {
            let item = ImportItem(command: command, actor: actor, occurredAt: time(step))
            if (try? ledger.execute(command, actor: actor, occurredAt: item.occurredAt)) != nil {
                accepted.append(item)
            }
        }
        run(.createUser(username: "root", serviceAccount: false, role: nil), nil, step: 0)
        for (index, user) in RandomCommands.users.enumerated() {
            run(.createUser(username: user, serviceAccount: user == "svc", role: nil), "root", step: 1 + index)
        }
        for step in 0..<count {
            run(RandomCommands.next(&random), random.pick(RandomCommands.actors), step: 10 + step)
        }
        return accepted
    }

    static func rows(_ connection: Connection, _ sql: String) throws -> [String] {
        try connection.query(sql).rows.map { row in row.values.map { $0 ?? "NULL" }.joined(separator: "|") }
    }

    static func scratchSchemas(_ connection: Connection) throws -> Int64? {
        try connection.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'accessledger_rebuild'").first?.int64(0)
    }

    /// A live history, then the commands that a second live run accepted, imported: the log (but
    /// for `recorded_at` and the hashes covering it) and every projection table, temporal ones
    /// included, equal running them live.
    @Test(arguments: [3, 17])
    func anImportAfterALiveHistoryEqualsRunningItLive(seed: UInt64) throws {
        let live = try TestDatabase.create()
        defer { live.drop() }
        let imported = try TestDatabase.create()
        defer { imported.drop() }
        let all = try Self.live(live, seed: seed, count: 500)
        // The first part live on the second database too, the rest imported.
        let split = all.count / 3
        let ledger = Ledger(connection: try imported.connectAsApp())
        for item in all[..<split] {
            try ledger.execute(item.command, actor: item.actor, occurredAt: item.occurredAt)
        }
        var rest = all[split...].makeIterator()
        let report = try HistoryImport(connect: imported.connect).run { rest.next() }
        #expect(report.accepted == all.count - split)
        #expect(report.refused == 0)

        let a = try live.connect()
        let b = try imported.connect()
        let log =
            "SELECT position, stream, stream_version, type, data::text, actor, reason, occurred_at, token "
            + "FROM ledger_events ORDER BY position"
        let events = try Self.rows(a, log)
        #expect(try Self.rows(b, log) == events)
        #expect(report.events > 40, "\(report)")
        #expect(Int64(events.count) == report.head)
        #expect(report.firstPosition.map { $0 + report.events - 1 } == report.head)
        for table in Replay.tables {
            let sql = "SELECT t::text FROM \(table) t ORDER BY 1"
            #expect(try Self.rows(b, sql) == Self.rows(a, sql), "\(table)")
        }
        #expect(try EventStore(connection: b).verify().ok)
        #expect(try Replay(connect: imported.connect).verify().ok)
        #expect(try Self.scratchSchemas(b) == 0)
    }

    @Test func aRefusedItemStopsTheImportAndLeavesEverythingAsItWas() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        _ = try Self.live(db, seed: 5, count: 100)
        let owner = try db.connect()
        let before = try PostgresLedger(connection: owner).snapshot()
        let head = try EventStore(connection: owner).head()
        let history = try Self.rows(owner, "SELECT t::text FROM access_history t ORDER BY 1")
        var items = [
            ImportItem(
                command: .createUser(username: "newcomer", serviceAccount: false, role: nil), actor: "root",
                occurredAt: Self.time(1_000), line: 4),
            ImportItem(
                command: .createGroup(name: "newgroup"), actor: "root", occurredAt: Self.time(1_001), line: 5),
            // newcomer is a member: only owners and user-admins create users.
            ImportItem(
                command: .createUser(username: "another", serviceAccount: false, role: nil), actor: "newcomer",
                occurredAt: Self.time(1_002), line: 9),
            ImportItem(command: .createGroup(name: "never"), actor: "root", occurredAt: Self.time(1_003), line: 10),
        ].makeIterator()
        let error = #expect(throws: LedgerError.self) { try HistoryImport(connect: db.connect).run { items.next() } }
        #expect(error?.kind == .notPermitted)
        #expect(error?.description.hasPrefix("line 9: ") == true, "\(String(describing: error))")
        #expect(items.next() != nil, "the import stopped at the refused item")
        #expect(try EventStore(connection: owner).head()?.position == head?.position)
        #expect(try PostgresLedger(connection: owner).snapshot() == before)
        #expect(try Self.rows(owner, "SELECT t::text FROM access_history t ORDER BY 1") == history)
        #expect(try Self.scratchSchemas(owner) == 0)
        #expect(try Replay(connect: db.connect).verify().ok)
    }

    /// The COPY goes out in batches of 64 kB while the next items are decided: a refusal after
    /// several batches have reached the server still leaves the log and every table as they were.
    @Test func aRefusalAfterBatchesWereSentLeavesEverythingAsItWas() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        _ = try Self.live(db, seed: 11, count: 50)
        let owner = try db.connect()
        let before = try PostgresLedger(connection: owner).snapshot()
        let head = try EventStore(connection: owner).head()
        let count = 3_000
        var items = [
            ImportItem(
                command: .createUser(username: "newcomer", serviceAccount: false, role: nil), actor: "root",
                occurredAt: Self.time(1_000), line: 1)
        ]
        items += (1..<count).map { index in
            ImportItem(
                command: .createGroup(name: "bulk-\(index)"), actor: "root",
                occurredAt: Self.time(1_000 + index / 100), line: index + 1)
        }
        // newcomer is a member: only owners and user-admins create users.
        items.append(
            ImportItem(
                command: .createUser(username: "late", serviceAccount: false, role: nil), actor: "newcomer",
                occurredAt: Self.time(1_100), line: count + 1))
        var sent = 0
        let error = #expect(throws: LedgerError.self) {
            var iterator = items.makeIterator()
            _ = try HistoryImport(connect: db.connect).run {
                sent += 1
                return iterator.next()
            }
        }
        #expect(error?.description.hasPrefix("line \(count + 1): ") == true, "\(String(describing: error))")
        #expect(sent == count + 1)
        // Each event row carries two 32-byte hashes, so 3,000 of them are several times 64 kB:
        // batches went to the server before the refusal.
        #expect(try EventStore(connection: owner).head()?.position == head?.position)
        #expect(try PostgresLedger(connection: owner).snapshot() == before)
        #expect(try Self.scratchSchemas(owner) == 0)
        #expect(try EventStore(connection: owner).verify().ok)
    }

    @Test func anErrorOfTheInputStopsTheImportToo() throws {
        struct Unreadable: Error {}
        let db = try TestDatabase.create()
        defer { db.drop() }
        _ = try Self.live(db, seed: 9, count: 50)
        let owner = try db.connect()
        let head = try EventStore(connection: owner).head()
        var served = 0
        #expect(throws: Unreadable.self) {
            try HistoryImport(connect: db.connect).run {
                served += 1
                guard served < 3 else { throw Unreadable() }
                return ImportItem(
                    command: .createGroup(name: "batch\(served)"), actor: "root", occurredAt: Self.time(1_000))
            }
        }
        #expect(try EventStore(connection: owner).head()?.position == head?.position)
        #expect(try Self.scratchSchemas(owner) == 0)
    }

    @Test func itemsThatChangeNothingAppendNothing() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        _ = try Self.live(db, seed: 12, count: 0)
        let owner = try db.connect()
        let head = try EventStore(connection: owner).head()
        var items = [
            ImportItem(command: .activateUser(username: "alice"), actor: "root", occurredAt: Self.time(1_000)),
            ImportItem(command: .activateUser(username: "bob"), actor: "root", occurredAt: Self.time(1_001)),
        ].makeIterator()
        let report = try HistoryImport(connect: db.connect).run { items.next() }
        #expect(report.accepted == 2 && report.unchanged == 2 && report.events == 0)
        #expect(report.head == head?.position && report.headHash == head?.hash)
        #expect(report.firstPosition == nil)
        #expect(try EventStore(connection: owner).head()?.position == head?.position)
        #expect(try Self.scratchSchemas(owner) == 0)
    }
}
