import AccessModel
import Foundation
import LedgerStore
import PostgresClient
import TestSupport
import Testing

/// The foundation's commands, run as a user would: the built binary against a real PostgreSQL.
@Suite("CLI: migrate, verify, audit log, embedded database")
struct FoundationCLITests {
    func seed(_ db: TestDatabase, count: Int) throws -> [RecordedEvent] {
        let connection = try db.connectAsApp()
        var events: [RecordedEvent] = []
        for n in 0..<count {
            events += try TestDatabase.append(
                [
                    NewEvent(
                        stream: "s\(n % 2)", type: n % 2 == 0 ? "workspace_started" : "workspace_stopped",
                        data: ["n": .int(Int64(n))])
                ],
                on: connection, actor: n % 3 == 0 ? "Alice" : "bob", reason: n == 4 ? "INC-7, \"urgent\"" : nil)
        }
        return events
    }

    @Test func migrateIsIdempotent() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let first = try runCLI(["db", "migrate", "--database", db.conninfo])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("applied 0001_events"))
        let second = try runCLI(["db", "migrate"], environment: ["ACCESSLEDGER_DATABASE_URL": db.conninfo])
        #expect(second.status == 0)
        #expect(second.stdout.contains("up to date"))
    }

    @Test func verifyReportsTheFirstBadEventWithExit5() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let events = try seed(db, count: 12)
        let good = try runCLI(["verify", "-o", "json", "--database", db.conninfo])
        #expect(good.status == 0, "\(good.stderr)")
        let goodJSON = try JSONValue.parse(good.stdout)
        #expect(goodJSON["ok"] == .bool(true))
        #expect(goodJSON["events"] == .int(12))
        #expect(goodJSON["head"]?["position"] == .int(12))
        #expect(goodJSON["head"]?["hash"] == .string(Hex.encode(events[11].hash)))
        #expect(goodJSON["first_bad_position"] == .null && goodJSON["problem"] == .null)
        let headText = "12:" + Hex.encode(events[11].hash)
        #expect(try runCLI(["verify", "--expect-head", headText, "--database", db.conninfo]).status == 0)

        let owner = try db.connect()
        try owner.query("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        try owner.query("UPDATE ledger_events SET reason = 'nothing to see' WHERE position = 7")
        let bad = try runCLI(["verify", "-o", "json", "--database", db.conninfo])
        #expect(bad.status == 5)
        let badJSON = try JSONValue.parse(bad.stdout)
        #expect(badJSON["ok"] == .bool(false))
        #expect(badJSON["first_bad_position"] == .int(7))
        #expect(badJSON["head"]?["position"] == .int(6))
        #expect(bad.stderr.hasPrefix("error: verification failed at position 7"))

        // Truncating the tail keeps the chain valid, but the recorded head proves it.
        try owner.query("DELETE FROM ledger_events WHERE position >= 7")
        #expect(try runCLI(["verify", "--database", db.conninfo]).status == 0)
        let truncated = try runCLI(["verify", "--expect-head", headText, "--database", db.conninfo])
        #expect(truncated.status == 5)
        #expect(truncated.stderr.contains("truncated"))
    }

    @Test func anIndependentScriptAgreesWithVerify() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let events = try seed(db, count: 9)
        let script = repositoryRoot + "/tools/verify-chain"
        let good = try runProcess("/usr/bin/env", ["python3", script, db.conninfo])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok 9 9:\(Hex.encode(events[8].hash))")
        let owner = try db.connect()
        try owner.query("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        try owner.query("UPDATE ledger_events SET actor = 'mallory' WHERE position = 5")
        let bad = try runProcess("/usr/bin/env", ["python3", script, db.conninfo])
        #expect(bad.status == 5)
        #expect(bad.stdout.hasPrefix("bad 5 "))
    }

    @Test func badInputAndUnreachableDatabasesGiveOneLineErrors() throws {
        let unreachable = try runCLI(["verify", "--database", "host=/nonexistent-dir dbname=x connect_timeout=2"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.hasPrefix("error: cannot connect to the database"))
        #expect(unreachable.stderr.split(separator: "\n").count == 1)
        let garbage = try runCLI(["verify", "--database", "= = ="])
        #expect(garbage.status == 1)
        #expect(garbage.stderr.hasPrefix("error: "))
        let head = try runCLI(["verify", "--expect-head", "12:zz", "--database", "host=/nonexistent-dir"])
        #expect(head.status == 2)
        #expect(head.stderr.contains("\"12:zz\""))
        let usage = try runCLI(["verify", "--no-such-flag"])
        #expect(usage.status == 2)
        #expect(usage.stderr.hasPrefix("error: "))
        #expect(usage.stderr.contains("--no-such-flag"))

        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let unmigrated = try runCLI(["verify", "--database", db.conninfo])
        #expect(unmigrated.status == 1)
        #expect(unmigrated.stderr.contains("accessledger db migrate"))
    }

    @Test func auditLogFiltersAndPrintsTheSpecShape() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let events = try seed(db, count: 10)
        let all = try runCLI(["audit", "log", "-o", "json", "--database", db.conninfo])
        #expect(all.status == 0, "\(all.stderr)")
        let list = try #require(try JSONValue.parse(all.stdout).arrayValue)
        #expect(list.count == 10)
        let fifth = try #require(list[4].objectValue)
        #expect(Set(fifth.keys) == ["position", "time", "type", "stream", "actor", "token", "reason", "data", "hash"])
        #expect(fifth["token"] == .null)
        #expect(fifth["position"] == .int(5))
        #expect(fifth["reason"] == .string("INC-7, \"urgent\""))
        #expect(fifth["data"] == .object(["n": .int(4)]))
        #expect(fifth["hash"] == .string(Hex.encode(events[4].hash)))
        #expect(fifth["time"] == .string(events[4].occurredAt.rfc3339))

        let byActor = try runCLI(["audit", "log", "-o", "json", "--actor", "alice", "--database", db.conninfo])
        #expect(
            try JSONValue.parse(byActor.stdout).arrayValue?.compactMap { $0["position"]?.intValue } == [1, 4, 7, 10])
        let byType = try runCLI([
            "audit", "log", "-o", "json", "--type", "workspace_stopped", "--actor", "bob",
            "--database", db.conninfo,
        ])
        #expect(try JSONValue.parse(byType.stdout).arrayValue?.compactMap { $0["position"]?.intValue } == [2, 6, 8])
        let future = try runCLI([
            "audit", "log", "-o", "json", "--since", "2999-01-01T00:00:00Z",
            "--database", db.conninfo,
        ])
        #expect(future.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        let window = try runCLI([
            "audit", "log", "-o", "json", "--since", events[2].occurredAt.rfc3339, "--until",
            events[5].occurredAt.rfc3339, "--database", db.conninfo,
        ])
        let positions = try JSONValue.parse(window.stdout).arrayValue?.compactMap { $0["position"]?.intValue } ?? []
        #expect(positions.first ?? 0 <= 3 && positions.contains(3) && positions.contains(6))
        let table = try runCLI(["audit", "log", "--database", db.conninfo])
        #expect(table.stdout.hasPrefix("POSITION"))
        #expect(table.stdout.contains("INC-7"))
        let badTime = try runCLI(["audit", "log", "--since", "yesterday", "--database", db.conninfo])
        #expect(badTime.status == 2)
        #expect(badTime.stderr.contains("\"yesterday\""))
    }

    /// A newcomer with no configuration: the first command creates, starts and migrates a private
    /// cluster; the second finds it running; `local stop` stops it and the next command starts it.
    @Test func embeddedDatabaseIsCreatedOnDemandAndSurvivesASecondRun() throws {
        let home = "/tmp/al-home-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chmod(home, 0o755)
        let env = ["ACCESSLEDGER_HOME": home]
        defer {
            _ = try? runCLI(["local", "stop"], environment: env)
            try? FileManager.default.removeItem(atPath: home)
        }
        let first = try runCLI(["verify"], environment: env)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("ok: 0 events"))
        let second = try runCLI(["audit", "log", "-o", "json"], environment: env)
        #expect(second.status == 0, "\(second.stderr)")
        let status = try runCLI(["local", "status"], environment: env)
        #expect(status.stdout.contains("running (pid"))
        #expect(status.stdout.contains(home + "/run"))
        let stop = try runCLI(["local", "stop"], environment: env)
        #expect(stop.status == 0)
        #expect(try runCLI(["local", "status"], environment: env).stdout.contains("stopped"))
        let again = try runCLI(["verify"], environment: env)
        #expect(again.status == 0, "\(again.stderr)")
    }
}
