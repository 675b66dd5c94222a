import AccessModel
import LedgerStore
import PostgresClient
import TestSupport
import Testing

@Suite("Replay: rebuild and verify projections from the log")
struct ReplayTests {
    /// A database with a few hundred events of random history.
    func populated(seed: UInt64) throws -> TestDatabase {
        let db = try TestDatabase.create()
        let ledger = Ledger(connection: try db.connectAsApp())
        var random = SplitMix64(seed: seed)
        try ledger.execute(.createUser(username: "root", serviceAccount: false, role: nil), actor: nil)
        for user in RandomCommands.users {
            try ledger.execute(.createUser(username: user, serviceAccount: user == "svc", role: nil), actor: "root")
        }
        for _ in 0..<400 {
            _ = try? ledger.execute(RandomCommands.next(&random), actor: random.pick(RandomCommands.actors))
        }
        return db
    }

    @Test func verifyFindsNoDifferenceOnAnUntouchedLedger() throws {
        let db = try populated(seed: 5)
        defer { db.drop() }
        let owner = try db.connect()
        let head = try EventStore(connection: owner).head()?.position ?? 0
        let report = try Replay(connect: db.connect).verify()
        #expect(report.events == head)
        #expect(report.differences.isEmpty, "\(report.differences.prefix(5))")
        #expect(
            try owner.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'accessledger_rebuild'").first?
                .int64(0) == 0, "verify leaves nothing behind")
    }

    @Test func verifyFindsAHandEditedRowAndReplayRepairsIt() throws {
        let db = try populated(seed: 8)
        defer { db.drop() }
        let owner = try db.connect()
        let before = try PostgresLedger(connection: owner).snapshot()
        let edited = try owner.query(
            "UPDATE access SET username = 'mallory', via = '{}' WHERE ctid = (SELECT ctid FROM access LIMIT 1) RETURNING user_key"
        )
        #expect(edited.rows.count == 1)
        try owner.query("DELETE FROM workspace_group_acl WHERE ctid = (SELECT ctid FROM workspace_group_acl LIMIT 1)")
        try owner.query(
            "UPDATE access_history SET to_position = NULL WHERE ctid = (SELECT ctid FROM access_history WHERE to_position IS NOT NULL LIMIT 1)"
        )

        let report = try Replay(connect: db.connect).verify()
        #expect(!report.ok)
        #expect(report.differences.contains { $0.hasPrefix("access:") })
        #expect(report.differences.contains { $0.hasPrefix("workspace_group_acl:") })
        #expect(report.differences.contains { $0.hasPrefix("access_history:") })

        let replayed = try Replay(connect: db.connect).run()
        #expect(replayed.ok)
        #expect(try PostgresLedger(connection: owner).snapshot() == before)
        #expect(try Replay(connect: db.connect).verify().ok)

        // The swapped-in tables keep their index names and the application role's rights.
        let indexes = try owner.query(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'access_pending_idx'")
        #expect(try indexes.first?.int64(0) == 1)
        let options = try owner.query(
            """
            SELECT count(*) FROM pg_class
            WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' AND reloptions IS NOT NULL
            """)
        #expect(try options.first?.int64(0) == 0, "autovacuum is on again for the swapped-in tables")
        let app = try db.connectAsApp()
        let ledger = Ledger(connection: app)
        #expect(throws: Never.self) { try ledger.execute(.createGroup(name: "after-replay"), actor: "root") }
        #expect(try Replay(connect: db.connect).verify().ok)
    }

    /// An event that the projection cannot apply, or cannot even read, stops the replay with
    /// an error (its threads end; nothing waits forever) and the live tables stay as they were.
    @Test(
        arguments: [
            ("workspace_started", ["workspace_id": .int(999_999), "owner": "svc", "name": "ghost"]),
            ("workspace_started", ["no": "fields"]),
        ] as [(String, JSONValue)])
    func aFailingReplayChangesNothing(_ type: String, _ data: JSONValue) throws {
        let db = try populated(seed: 17)
        defer { db.drop() }
        let owner = try db.connect()
        try TestDatabase.append([NewEvent(stream: "workspace:999999", type: type, data: data)], on: owner)
        let before = try PostgresLedger(connection: owner).snapshot()
        let failure = #expect(throws: LedgerError.self) { try Replay(connect: db.connect).run() }
        #expect(failure?.exitCode != 0)
        #expect(try PostgresLedger(connection: owner).snapshot() == before)
        #expect(throws: LedgerError.self) { try Replay(connect: db.connect).verify() }
        // The append lock was released: commands go on.
        let ledger = Ledger(connection: try db.connectAsApp())
        #expect(throws: Never.self) { try ledger.execute(.createGroup(name: "after-failure"), actor: "root") }
    }

    @Test func aCommandDuringReplayWaitsAndIsNotLost() throws {
        let db = try populated(seed: 13)
        defer { db.drop() }
        let conninfo = db.conninfo
        let errors = onThreads(2) { index in
            if index == 0 {
                _ = try Replay { try Connection(conninfo) }.run()
            } else {
                let app = try Connection(conninfo)
                try LedgerDatabase.prepare(app)
                for n in 0..<5 {
                    try Ledger(connection: app).execute(.createGroup(name: "during-\(n)"), actor: "root")
                }
            }
        }
        #expect(errors.isEmpty, "\(errors)")
        let owner = try db.connect()
        #expect(try Replay(connect: db.connect).verify().ok)
        #expect(try owner.query("SELECT count(*) FROM groups WHERE key LIKE 'during-%'").first?.int64(0) == 5)
    }
}

@Suite("Bulk import")
struct ImportTests {
    @Test func importingEqualsRunningTheCommandsOneByOne() throws {
        var random = SplitMix64(seed: 77)
        var items = [
            ImportItem(
                command: .createUser(username: "root", serviceAccount: false, role: nil), actor: nil,
                occurredAt: Timestamp(rfc3339: "2026-01-01T00:00:00Z")!)
        ]
        for user in RandomCommands.users {
            items.append(
                ImportItem(
                    command: .createUser(username: user, serviceAccount: user == "svc", role: nil), actor: "root",
                    occurredAt: items[items.count - 1].occurredAt))
        }
        for n in 0..<500 {
            items.append(
                ImportItem(
                    command: RandomCommands.next(&random), actor: random.pick(RandomCommands.actors),
                    reason: n % 50 == 0 ? "batch \(n)" : nil,
                    occurredAt: Timestamp(
                        microseconds: items[items.count - 1].occurredAt.microseconds + Int64(n % 3) * 1_000_000)))
        }
        let imported = try TestDatabase.create()
        defer { imported.drop() }
        let owner = try imported.connect()
        let report = try Importer(connection: owner).run(items, batchSize: 100)
        #expect(report.accepted + report.refused == items.count)
        #expect(report.refused > 0 && report.events > 50, "\(report)")
        #expect(try EventStore(connection: owner).verify().ok)
        _ = try Replay(connect: imported.connect).run()

        let oneByOne = try TestDatabase.create()
        defer { oneByOne.drop() }
        let app = try oneByOne.connectAsApp()
        var accepted = 0
        for item in items {
            if (try? Ledger(connection: app).execute(
                item.command, actor: item.actor, reason: item.reason,
                occurredAt: item.occurredAt)) != nil
            {
                accepted += 1
            }
        }
        #expect(accepted == report.accepted)
        #expect(try PostgresLedger(connection: owner).snapshot() == PostgresLedger(connection: app).snapshot())
        let importedEvents = try EventStore(connection: owner).events().map {
            [$0.stream, $0.type, $0.data.canonicalString, $0.actor, $0.occurredAt.canonical]
        }
        let executedEvents = try EventStore(connection: app).events().map {
            [$0.stream, $0.type, $0.data.canonicalString, $0.actor, $0.occurredAt.canonical]
        }
        #expect(importedEvents == executedEvents)
    }
}
