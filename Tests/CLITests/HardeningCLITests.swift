import AccessModel
import Foundation
import PostgresClient
import TestSupport
import Testing

/// What a red-team pass found (issue 9), each reproduced through the built binary: tampering as
/// the database superuser, hostile text in tables and CSV, malformed input that was accepted or
/// refused with the wrong code, and signed checkpoints.
@Suite("CLI: hardening")
struct HardeningCLITests {
    static let workspace = "svc/ws"

    /// admin (owner), svc (owner of svc/ws), alice; svc/ws shared with alice.
    static func seeded() throws -> LedgerCLI {
        let cli = try LedgerCLI.make()
        try cli.createUsers(["svc", "alice"])
        try cli.ok(["create", workspace, "--template", "t", "--as", "svc"])
        try cli.ok(["sharing", "share", workspace, "--user", "alice:admin"])
        return cli
    }

    /// What a superuser could do: disable the guarding triggers, change history, re-enable them.
    static func behindTheTriggersBack(_ cli: LedgerCLI, _ statement: String) throws {
        let owner = try cli.db.connect()
        defer { owner.close() }
        try owner.query("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        try owner.query(statement)
        for trigger in ["check_append", "refuse_update_delete", "refuse_truncate"] {
            try owner.query("ALTER TABLE ledger_events ENABLE ALWAYS TRIGGER ledger_events_\(trigger)")
        }
    }

    static func positions(_ cli: LedgerCLI) throws -> Int64 {
        let owner = try cli.db.connect()
        defer { owner.close() }
        return try owner.query("SELECT count(*) FROM ledger_events").first?.int64(0) ?? -1
    }

    // MARK: Tampering

    /// Defect 2: an event whose data the ledger cannot read was altered: verify and replay
    /// --verify exit 5 naming it (verify with its JSON report); audit log prints no half document.
    @Test(arguments: ["1.0", "99999999999999999999"])
    func unreadableTamperedDataIsAVerificationFailure(_ value: String) throws {
        let cli = try Self.seeded()
        defer { cli.drop() }
        try cli.ok(["restart", Self.workspace])
        try cli.ok(["stop", Self.workspace])
        try Self.behindTheTriggersBack(
            cli, "UPDATE ledger_events SET data = jsonb_set(data, '{workspace_id}', '\(value)') WHERE position = 6")

        let verify = try cli.run(["verify", "-o", "json"])
        #expect(verify.status == 5, "\(verify.stderr)")
        let report = try JSONValue.parse(verify.stdout)
        #expect(report["ok"] == .bool(false))
        #expect(report["first_bad_position"] == .int(6))
        #expect(report["head"]?["position"] == .int(5))
        #expect(verify.stderr.hasPrefix("error: verification failed at position 6"))

        let replay = try cli.run(["replay", "--verify"])
        #expect(replay.status == 5, "\(replay.stderr)")
        #expect(replay.stderr.contains("event 6"))

        let log = try cli.run(["audit", "log", "-o", "json"])
        #expect(log.status == 5, "\(log.stderr)")
        #expect(log.stdout.isEmpty, "no half document: \(log.stdout.prefix(200))")
        #expect(log.stderr.contains("event 6"))
    }

    /// Defect 5: a superuser deletes the last event; the next command appends nothing and says
    /// why (both positions), and verify fails.
    @Test func projectionsAheadOfTheLogStopEveryAppend() throws {
        let cli = try Self.seeded()
        defer { cli.drop() }
        let before = try Self.positions(cli)
        try Self.behindTheTriggersBack(cli, "DELETE FROM ledger_events WHERE position = \(before)")
        let share = try cli.run(["sharing", "share", Self.workspace, "--user", "svc-2"])
        #expect(share.status != 0)
        let restart = try cli.run(["restart", Self.workspace])
        #expect(restart.status == 5, "\(restart.stderr)")
        #expect(restart.stderr.contains("position \(before)") && restart.stderr.contains("position \(before - 1)"))
        #expect(try Self.positions(cli) == before - 1, "nothing appended")
        let verify = try cli.run(["verify", "-o", "json"])
        #expect(verify.status == 5)
        #expect(try JSONValue.parse(verify.stdout)["first_bad_position"] == .int(before))
    }

    /// Defects 4 and 10: the empty log's head is a prefix of every log; after a rewrite no head
    /// is vouched for.
    @Test func expectHeadOfTheEmptyLogAndAfterARewrite() throws {
        let cli = try Self.seeded()
        defer { cli.drop() }
        let zero = "0:" + String(repeating: "0", count: 64)
        let ok = try cli.run(["verify", "--expect-head", zero])
        #expect(ok.status == 0, "\(ok.stderr)")
        let head = try cli.json(["verify"])["head"]
        let headText = "\(head?["position"]?.intValue ?? 0):\(head?["hash"]?.stringValue ?? "")"
        try Self.behindTheTriggersBack(cli, "UPDATE ledger_events SET reason = 'rewritten' WHERE position = 1")
        let rewritten = try cli.run(["verify", "--expect-head", headText])
        #expect(rewritten.status == 5)
        #expect(!rewritten.stdout.contains(headText))
        #expect(rewritten.stdout.contains("last good head: none"))
    }

    // MARK: Hostile text

    /// Defect 3: a reason cannot forge a row of a table or send escape codes to the terminal.
    @Test func tablesShowControlCharactersEscaped() throws {
        let cli = try Self.seeded()
        defer { cli.drop() }
        try cli.ok(["restart", Self.workspace, "--reason", "line1\n99  2026-01-01T00:00:00Z  forged\u{1b}[31mred\\"])
        let table = try cli.ok(["audit", "log"])
        let lines = table.split(separator: "\n")
        #expect(lines.count == Int(try Self.positions(cli)) + 1, "one line per event and a header")
        #expect(!table.contains("\u{1b}"))
        #expect(table.contains(#"line1\n99  2026-01-01T00:00:00Z  forged\x1b[31mred\\"#))
        let history = try cli.ok(["audit", "history", "--workspace", Self.workspace])
        #expect(!history.contains("\u{1b}"))
        // JSON keeps the text exactly.
        let events = try cli.events(["--type", "workspace_restarted"])
        #expect(events.first?["reason"]?.stringValue?.hasSuffix("forged\u{1b}[31mred\\") == true)
    }

    /// Defect 8: a reason that a spreadsheet would run as a formula is prefixed with `'`.
    @Test func csvCellsCannotBeFormulas() throws {
        let cli = try Self.seeded()
        defer { cli.drop() }
        try cli.ok(["sharing", "remove", Self.workspace, "--user", "alice", "--reason", #"=HYPERLINK("http://x","y")"#])
        try cli.ok(["sharing", "share", Self.workspace, "--user", "alice", "--reason", "@SUM(A1)"])
        let csv = try cli.ok(["audit", "history", "--workspace", Self.workspace, "-o", "csv"])
        #expect(csv.contains(#""'=HYPERLINK(""http://x"",""y"")""#))
        #expect(csv.contains(",'@SUM(A1)"))
        for line in csv.split(separator: "\r\n") {
            for cell in line.split(separator: ",") {
                #expect(!["=", "+", "@"].contains(cell.first.map(String.init) ?? ""), "\(line)")
            }
        }
    }

    /// Defect 7: invalid UTF-8 is refused, not recorded with replacement characters.
    @Test func invalidUTF8IsRefused() throws {
        let cli = try Self.seeded()
        defer { cli.drop() }
        let before = try Self.positions(cli)
        let result = try runProcess(
            "/bin/sh",
            ["-c", #"exec "$0" restart svc/ws --reason "$(printf 'ok\377\376')""#, accessledgerBinary()],
            environment: ["ACCESSLEDGER_DATABASE_URL": cli.db.conninfo, "ACCESSLEDGER_ACTOR": "admin"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(#""ok\xff\xfe""#))
        #expect(try Self.positions(cli) == before)
    }

    // MARK: Malformed input

    /// Defects 9 and 10: every one exits 2, names the value, appends nothing.
    @Test func malformedInputIsExit2NamingTheValue() throws {
        let cli = try Self.seeded()
        defer { cli.drop() }
        let before = try Self.positions(cli)
        let cases: [([String], String)] = [
            (["audit", "log", "--type", "nosuch_type"], "\"nosuch_type\""),
            (["tokens", "create", "--user", "alice", "--name", "t", "--lifetime", "0h"], "\"0h\""),
            (["tokens", "create", "--user", "alice", "--name", "t", "--lifetime=-1h"], "\"-1h\""),
            (["tokens", "create", "--user", "alice", "--name", "t", "--lifetime", "1m1m"], "\"1m1m\""),
            (["sharing", "share", Self.workspace, "--user", ""], "entry \"\""),
            (["sharing", "remove", Self.workspace, "--user", ""], "entry \"\""),
            (["sharing", "status", Self.workspace, "--at", "2099-01-01T00:00:00Z"], "2099-01-01T00:00:00Z"),
            (["list", "--at", "2099-01-01T00:00:00Z"], "in the future"),
            (["verify", "--checkpoints", "/nonexistent"], "--public-key"),
        ]
        for (arguments, needle) in cases {
            let result = try cli.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: "), "\(arguments)")
            #expect(result.stderr.contains(needle), "\(arguments): \(result.stderr)")
        }
        #expect(try Self.positions(cli) == before)
    }

    // MARK: Signed checkpoints

    @Test func signedCheckpointsCatchARecomputedChain() throws {
        let cli = try Self.seeded()
        defer { cli.drop() }
        let dir = "/tmp/al-ck-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = dir + "/key.pem"
        let file = dir + "/checkpoints"
        let first = try cli.run(["checkpoint", "--key", key, "--append", file])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("created the checkpoint key"))
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        try cli.ok(["restart", Self.workspace])
        try cli.ok(["checkpoint", "--key", key, "--append", file])
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try JSONValue.parse(String(lines[1]))["position"] == .int(try Self.positions(cli)))
        let good = try cli.run(["verify", "--checkpoints", file, "--public-key", key + ".pub"])
        #expect(good.status == 0, "\(good.stderr)")

        // Another key does not verify them.
        let otherKey = dir + "/other.pem"
        try cli.ok(["checkpoint", "--key", otherKey])
        let wrongKey = try cli.run(["verify", "--checkpoints", file, "--public-key", otherKey + ".pub"])
        #expect(wrongKey.status == 5)
        #expect(wrongKey.stderr.contains("line 1"))

        // The superuser replaces the last event with another one and recomputes its hash: the
        // chain verifies, the second checkpoint does not.
        let last = try Self.positions(cli)
        try Self.behindTheTriggersBack(cli, "DELETE FROM ledger_events WHERE position = \(last)")
        let owner = try cli.db.connect()
        defer { owner.close() }
        try owner.query("UPDATE projection_state SET position = $1", [last - 1])
        try TestDatabase.append([NewEvent(stream: "user:mallory", type: "user_created", data: [:])], on: owner)
        #expect(try cli.run(["verify"]).status == 0)
        let caught = try cli.run(["verify", "--checkpoints", file, "--public-key", key + ".pub", "-o", "json"])
        #expect(caught.status == 5)
        #expect(try JSONValue.parse(caught.stdout)["first_bad_position"] == .int(last))
        #expect(caught.stderr.contains("line 2"))

        // A key file that others may read is refused.
        chmod(key, 0o644)
        let loose = try cli.run(["checkpoint", "--key", key])
        #expect(loose.status == 2)
        #expect(loose.stderr.contains("chmod 600"))
    }
}
