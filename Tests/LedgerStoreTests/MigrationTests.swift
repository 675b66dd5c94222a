import Foundation
import LedgerStore
import PostgresClient
import TestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    @Test func embeddedMigrationsMatchTheSQLFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let files = try FileManager.default.contentsOfDirectory(atPath: root.path + "/sql")
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.map { String($0.dropLast(4)) } == Migration.all.map(\.name), "run tools/gen-migrations")
        for (file, migration) in zip(files, Migration.all) {
            let text = try String(contentsOfFile: root.path + "/sql/" + file, encoding: .utf8)
            let normalised = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { line in String(line.reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed()) }
                .joined(separator: "\n").trimmingCharacters(in: .newlines)
            #expect(normalised == migration.sql, "\(file) differs from its embedded copy: run tools/gen-migrations")
        }
    }

    @Test func migratingTwiceAndConcurrentlyIsHarmless() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let conninfo = db.conninfo
        let errors = onThreads(4) { _ in
            let connection = try Connection(conninfo)
            try Migrator.migrate(connection)
        }
        #expect(errors.isEmpty, "\(errors)")
        let connection = try db.connect()
        let again = try Migrator.migrate(connection)
        #expect(again.applied.isEmpty)
        #expect(
            try connection.query("SELECT count(*) FROM ledger_migrations").first?.int64(0)
                == Int64(Migration.all.count))
        #expect(try Migrator.currentVersion(connection) == Migration.all.map(\.version).max())
    }

    @Test func anEditedMigrationIsRefused() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connect()
        var edited = Migration.all
        edited[0] = Migration(version: edited[0].version, name: edited[0].name, sql: edited[0].sql + "\n-- edited")
        let error = #expect(throws: LedgerError.self) { try Migrator.migrate(connection, migrations: edited) }
        #expect(error?.description.contains("changed after it was applied") == true)
    }

    @Test func commandsRefuseAnUnmigratedDatabase() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let connection = try db.connect()
        let error = #expect(throws: LedgerError.self) { try LedgerDatabase.prepare(connection) }
        #expect(error?.description.contains("accessledger db migrate") == true)
    }

    /// The embedded database is migrated on open, also after an upgrade adds a migration.
    @Test func anOwnedDatabaseIsMigratedWhenBehind() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let fresh = try db.connect()
        try LedgerDatabase.prepare(fresh, migrateIfBehind: true)
        #expect(try fresh.query("SELECT current_user").first?[0] == "accessledger_app")
        let owner = try db.connect()
        try owner.query("DELETE FROM ledger_migrations WHERE version = $1", [Migration.all.count])
        let behind = try db.connect()
        let error = #expect(throws: LedgerError.self) { try LedgerDatabase.prepare(behind) }
        #expect(error?.description.contains("accessledger db migrate") == true)
    }

    @Test func ordinaryCommandsRunAsTheAppendOnlyRole() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        #expect(try connection.query("SELECT current_user").first?[0] == "accessledger_app")
    }

    /// 0004 keeps the live role only while pending (`held_role`) and merges the access intervals
    /// that only a stop or start had split.
    @Test func heldRoleMigrationKeepsWhatTheRowsSaid() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let owner = try db.connect()
        let version = Migration.all.firstIndex { $0.name.hasPrefix("0004") } ?? 0
        try Migrator.migrate(owner, migrations: Array(Migration.all.prefix(version)))
        // alice: shared (3), workspace stopped (4), started (5), unshared (6), restarted (7).
        // bob: shared (3) and still there. carol: pending now.
        try owner.query(
            """
            INSERT INTO access_history (workspace_id, user_key, username, role, live_role, via, state,
                                        from_position, from_time, to_position, to_time)
            VALUES (1, 'alice', 'alice', 'use', 'use', '{user}', 'active', 3, now(), 4, now()),
                   (1, 'alice', 'alice', 'use', NULL, '{user}', 'active', 4, now(), 5, now()),
                   (1, 'alice', 'alice', 'use', 'use', '{user}', 'active', 5, now(), 6, '2026-01-06Z'),
                   (1, 'alice', 'alice', NULL, 'use', '{}', 'pending_revocation', 6, now(), 7, '2026-01-07Z'),
                   (1, 'bob', 'Bob', 'admin', 'admin', '{user}', 'active', 3, now(), 4, now()),
                   (1, 'bob', 'Bob', 'admin', NULL, '{user}', 'active', 4, now(), 5, '2026-01-05Z'),
                   (1, 'bob', 'Bob', 'admin', 'admin', '{user}', 'active', 5, now(), NULL, NULL)
            """)
        try owner.query(
            """
            INSERT INTO access (workspace_id, user_key, username, role, live_role, via, state)
            VALUES (1, 'bob', 'Bob', 'admin', 'admin', '{user}', 'active'),
                   (1, 'carol', 'carol', NULL, 'use', '{}', 'pending_revocation')
            """)
        try Migrator.migrate(owner)
        let history = try owner.query(
            """
            SELECT user_key, coalesce(role, '-'), coalesce(held_role, '-'), via::text, from_position,
                   coalesce(to_position::text, '-'), coalesce(to_time::date::text, '-')
            FROM access_history ORDER BY user_key, from_position
            """
        ).rows.map { $0.values.map { $0 ?? "NULL" }.joined(separator: " ") }
        #expect(
            history == [
                "alice use - {user} 3 6 2026-01-06",
                "alice - use {} 6 7 2026-01-07",
                "bob admin - {user} 3 - -",
            ])
        let access = try owner.query(
            "SELECT user_key, coalesce(role, '-'), coalesce(held_role, '-') FROM access ORDER BY user_key"
        ).rows.map { $0.values.map { $0 ?? "NULL" }.joined(separator: " ") }
        #expect(access == ["bob admin -", "carol - use"])
        let pendingIndex = try owner.query(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'access_pending_idx'"
        ).first?[0]
        #expect(pendingIndex?.contains("held_role IS NOT NULL") == true)
    }
}
