import AccessModel
import Foundation
import LedgerStore
import PostgresClient
import TestSupport
import Testing

/// `accessledger import FILE|-`: one transaction, the same parser and rules as the commands alone,
/// a malformed (exit 2) or refused (exit 2 or 3) line stops it naming the line, and nothing is
/// appended then.
@Suite("CLI: import")
struct ImportCLITests {
    /// Times of the imported lines start here: in the past, so that many seconds fit before now.
    static let base = Timestamp(microseconds: (Int64(Date().timeIntervalSince1970) - 400_000) * 1_000_000)

    /// `base` plus `seconds`, as RFC 3339.
    static func time(_ seconds: Int) -> String {
        Timestamp(microseconds: base.microseconds + Int64(seconds) * 1_000_000).rfc3339
    }

    /// One line of an import file.
    static func line(_ argv: [String], as actor: String = "admin", at seconds: Int, reason: String? = nil) -> String {
        var members: [String: JSONValue] = [
            "argv": .array(argv.map { .string($0) }), "as": .string(actor), "occurred_at": .string(time(seconds)),
        ]
        if let reason { members["reason"] = .string(reason) }
        return JSONValue.object(members).canonicalString
    }

    /// A ledger whose first user, admin, was created at `base` (so imports may follow it).
    static func ledger() throws -> LedgerCLI {
        var cli = try LedgerCLI.make(bootstrap: nil)
        try cli.ok(["users", "create", "--username", "admin", "--occurred-at", time(0)])
        cli.actor = "admin"
        return cli
    }

    /// Writes `text` to a file of its own and returns its path.
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString).jsonl")
            .path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `verify -o json`'s head, `POSITION:HASH` (checks the chain too).
    static func head(_ cli: LedgerCLI, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let report = try cli.json(["verify"], sourceLocation: sourceLocation)
        #expect(report["ok"] == .bool(true), sourceLocation: sourceLocation)
        let head = report["head"]
        return "\(head?["position"]?.intValue ?? -1):\(head?["hash"]?.stringValue ?? "")"
    }

    static func usernames(_ cli: LedgerCLI) throws -> [String] {
        try cli.json(["users", "list"]).arrayValue?.compactMap { $0["username"]?.stringValue } ?? []
    }

    // MARK: Malformed lines

    /// (the third line, a fragment the message must contain); every one exits 2 naming line 3.
    static let malformed: [(String, String)] = [
        (#"{"argv": ["users", "create", "--username", "carol"], "as": "admin""#, "invalid JSON"),
        ("not json at all", "invalid JSON"),
        (#"["users", "create"]"#, "expected a JSON object"),
        (line(["users", "frobnicate", "carol"], at: 3), "frobnicate"),
        (line(["sharing", "share", "admin/w", "--user", "carol", "--colour", "red"], at: 3), "--colour"),
        (line(["users", "create", "--username", "carol", "--as", "admin"], at: 3), "must not contain --as"),
        (line(["users", "create", "--username", "carol", "--reason", "x"], at: 3), "must not contain --reason"),
        (
            line(["users", "create", "--username", "carol", "--occurred-at", time(3)], at: 3),
            "must not contain --occurred-at"
        ),
        (
            line(["users", "create", "--username", "carol", "--database", "dbname=x"], at: 3),
            "must not contain --database"
        ),
        (line(["list"], at: 3), #"["list"] is not a command that changes the ledger"#),
        (line(["audit", "log"], at: 3), #"["audit","log"] is not a command that changes the ledger"#),
        (line(["verify"], at: 3), "is not a command that changes the ledger"),
        (line(["import", "-"], at: 3), "is not a command that changes the ledger"),
        (line(["users", "create", "--username", "carol", "--help"], at: 3), "not a command that changes the ledger"),
        (line([], at: 3), #"field "argv" is empty"#),
        (
            line(["tokens", "create", "--user", "admin", "--name", "laptop", "--lifetime", "1h"], at: 3),
            "a token's secret is shown only once"
        ),
        (
            line(["webhooks", "add", "hook", "--url", "https://example.com/hook"], at: 3),
            "signing secret is shown only once"
        ),
        (
            #"{"argv": ["users", "create", "--username", "carol"], "occurred_at": "\#(time(3))"}"#,
            #"field "as" is required"#
        ),
        (#"{"argv": ["users", "create", "--username", "carol"], "as": "admin"}"#, #"field "occurred_at" is required"#),
        (#"{"as": "admin", "occurred_at": "\#(time(3))"}"#, #"field "argv" is required"#),
        (
            #"{"argv": ["users", "create", "--username", "carol"], "as": "admin", "occurred_at": "\#(time(3))", "at": 1}"#,
            #"unknown field "at""#
        ),
        (#"{"argv": "users create", "as": "admin", "occurred_at": "\#(time(3))"}"#, #"field "argv" must be"#),
        (#"{"argv": ["users", 7], "as": "admin", "occurred_at": "\#(time(3))"}"#, #"field "argv" must be"#),
        (#"{"argv": ["users", "create", "--username", "carol"], "as": 42, "occurred_at": "\#(time(3))"}"#, "42"),
        (
            #"{"argv": ["users", "create", "--username", "carol"], "as": "admin", "occurred_at": "\#(time(3))", "reason": 5}"#,
            #"field "reason" must be"#
        ),
        (
            #"{"argv": ["users", "create", "--username", "carol"], "as": "admin", "occurred_at": "yesterday"}"#,
            #"invalid occurred_at "yesterday""#
        ),
        (
            #"{"argv": ["users", "create", "--username", "carol"], "as": "admin", "as": "root", "occurred_at": "\#(time(3))"}"#,
            #"duplicate key "as""#
        ),
        (line(["users", "create", "--username", "carol_x"], at: 3), #""carol_x""#),
        (line(["users", "create", "--username", "carol\u{1b}[31m"], at: 3), #""carol\x1b[31m""#),
    ]

    @Test(arguments: malformed)
    func aMalformedLineExits2NamingItAndAppendsNothing(third: String, fragment: String) throws {
        let cli = try Self.ledger()
        defer { cli.drop() }
        let before = try Self.head(cli)
        let path = try Self.file(
            [
                Self.line(["users", "create", "--username", "early"], at: 1),
                Self.line(["groups", "create", "early-group"], at: 2),
                third,
                Self.line(["users", "create", "--username", "late"], at: 4),
            ].joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try cli.run(["import", path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: line 3: "), "\(result.stderr)")
        #expect(result.stderr.contains(fragment), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(!result.stderr.contains("\u{1b}"), "control characters are escaped")
        #expect(result.stdout.isEmpty)
        #expect(try Self.head(cli) == before, "nothing appended")
        #expect(try Self.usernames(cli) == ["admin"])
    }

    @Test func aLineThatIsNotUTF8Exits2() throws {
        let cli = try Self.ledger()
        defer { cli.drop() }
        let before = try Self.head(cli)
        var bytes = Array((Self.line(["users", "create", "--username", "early"], at: 1) + "\n").utf8)
        bytes += Array(#"{"argv": ["users", "create", "--username", ""#.utf8) + [0xFF, 0xFE]
        bytes += Array(#""], "as": "admin", "occurred_at": "\#(Self.time(2))"}"#.utf8) + [0x0A]
        let result = try cli.run(["import", "-"], stdin: Data(bytes))
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: line 2: the line is not valid UTF-8"), "\(result.stderr)")
        #expect(try Self.head(cli) == before)
    }

    @Test func aMissingFileExits2() throws {
        let cli = try Self.ledger()
        defer { cli.drop() }
        let result = try cli.run(["import", "/nonexistent/history.jsonl"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\"/nonexistent/history.jsonl\""), "\(result.stderr)")
    }

    // MARK: Times

    @Test func aDecreasingOccurredAtExits2NamingTheLine() throws {
        let cli = try Self.ledger()
        defer { cli.drop() }
        let before = try Self.head(cli)
        let path = try Self.file(
            [
                Self.line(["users", "create", "--username", "early"], at: 10),
                // Changes nothing, but its time still counts.
                Self.line(["users", "activate", "early"], at: 20),
                Self.line(["users", "create", "--username", "late"], at: 15),
            ].joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try cli.run(["import", path])
        #expect(result.status == 2)
        #expect(
            result.stderr.hasPrefix(
                "error: line 3: occurred_at \(Self.time(15)) is earlier than line 2's \(Self.time(20))"),
            "\(result.stderr)")
        #expect(try Self.head(cli) == before)

        // Nor earlier than the log's last event (admin, created at `base`).
        let earlier = try Self.file(Self.line(["users", "create", "--username", "early"], at: -5) + "\n")
        defer { try? FileManager.default.removeItem(atPath: earlier) }
        let first = try cli.run(["import", earlier])
        #expect(first.status == 2)
        #expect(
            first.stderr.hasPrefix("error: line 1: occurred_at \(Self.time(-5)) is earlier than the last event's time"))
        #expect(try Self.head(cli) == before)

        // Nor in the future.
        let future = try Self.file(Self.line(["users", "create", "--username", "early"], at: 900_000) + "\n")
        defer { try? FileManager.default.removeItem(atPath: future) }
        let later = try cli.run(["import", future])
        #expect(later.status == 2)
        #expect(later.stderr.contains("is in the future"), "\(later.stderr)")
        #expect(try Self.head(cli) == before)
    }

    // MARK: Refused lines

    /// A line refused by the rules after good lines: exit as the command alone would (3 for a
    /// rule, 2 for an unknown name), naming the line; the good lines are not appended either.
    @Test(arguments: [
        (line(["sharing", "share", "admin/w", "--user", "carol"], as: "bob", at: 5), 3, "user \"bob\" may not"),
        (line(["sharing", "share", "admin/w", "--user", "zed"], at: 5), 2, "unknown user \"zed\""),
        (line(["sharing", "share", "admin/w", "--user", "admin"], at: 5), 3, "admin"),
        (line(["users", "create", "--username", "bob"], at: 5), 3, "\"bob\""),
        (line(["start", "admin/nope"], at: 5), 2, "unknown workspace \"admin/nope\""),
        (line(["users", "suspend", "carol"], as: "nobody", at: 5), 2, "unknown actor \"nobody\""),
    ])
    func aRefusedLineStopsTheImportAndAppendsNothing(fifth: String, code: Int32, fragment: String) throws {
        let cli = try Self.ledger()
        defer { cli.drop() }
        let before = try Self.head(cli)
        let path = try Self.file(
            [
                Self.line(["users", "create", "--username", "bob"], at: 1),
                Self.line(["users", "create", "--username", "carol"], at: 2),
                Self.line(["create", "admin/w", "--template", "t"], at: 3),
                Self.line(["sharing", "share", "admin/w", "--user", "bob:use"], at: 4),
                fifth,
                Self.line(["restart", "admin/w"], at: 6),
            ].joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try cli.run(["import", path])
        #expect(result.status == code, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: line 5: "), "\(result.stderr)")
        #expect(result.stderr.contains(fragment), "\(result.stderr)")
        #expect(try Self.head(cli) == before, "none of the earlier good lines is appended")
        #expect(try Self.usernames(cli) == ["admin"])
        #expect(try cli.search("") == [])
        #expect(try cli.json(["replay", "--verify"])["ok"] == .bool(true))
    }

    // MARK: Empty input, stdin, output

    @Test func anEmptyFileAppendsNothingAndSaysSo() throws {
        let cli = try Self.ledger()
        defer { cli.drop() }
        let before = try Self.head(cli)
        for text in ["", "\n\n  \n\t\n"] {
            let path = try Self.file(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try cli.run(["import", path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.hasPrefix("nothing to import: "), "\(result.stdout)")
            #expect(result.stdout.contains("nothing appended, head \(before)"), "\(result.stdout)")
            let json = try JSONValue.parse(try cli.ok(["import", path, "-o", "json"]))
            #expect(json["lines"] == .int(0))
            #expect(json["events"] == .int(0))
            #expect(json["first_position"] == .null)
            #expect(
                "\(json["head"]?["position"]?.intValue ?? -1):\(json["head"]?["hash"]?.stringValue ?? "")" == before)
        }
        #expect(try Self.head(cli) == before)
    }

    @Test func importsFromStdinAndReportsWhatItAppended() throws {
        let cli = try Self.ledger()
        defer { cli.drop() }
        let text = [
            Self.line(["users", "create", "--username", "alice"], at: 1, reason: "HR-1"),
            "",
            Self.line(["users", "create", "--username", "svc", "--service-account"], at: 2),
            Self.line(["create", "svc/build", "--template", "ci"], at: 3),
            Self.line(["sharing", "add", "svc/build", "--user", "alice:admin"], at: 4, reason: "OPS-7"),
            // Already in effect: not a refusal; appends nothing.
            Self.line(["sharing", "share", "svc/build", "--user", "alice:admin"], at: 5),
            Self.line(["start", "svc/build"], at: 6),
        ].joined(separator: "\n")
        let result = try cli.run(["import", "-", "-o", "json"], stdin: Data(text.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "no progress line when stderr is not a terminal")
        let report = try JSONValue.parse(result.stdout)
        let head = try Self.head(cli)
        #expect(report["lines"] == .int(6))
        #expect(report["events"] == .int(4))
        #expect(report["unchanged"] == .int(2))
        #expect(report["first_position"] == .int(2))
        #expect("\(report["head"]?["position"]?.intValue ?? -1):\(report["head"]?["hash"]?.stringValue ?? "")" == head)

        let events = try cli.events()
        #expect(
            events.map { $0["type"]?.stringValue ?? "" } == [
                "user_created", "user_created", "user_created", "workspace_created", "workspace_shared",
            ])
        #expect(events[1]["reason"] == .string("HR-1"))
        #expect(events[1]["time"] == .string(Self.time(1)))
        #expect(events[4]["reason"] == .string("OPS-7"))
        #expect(events[4]["actor"] == .string("admin"))
        #expect(events.allSatisfy { $0["token"] == .null })
        #expect(try cli.accessOf("alice", on: "svc/build") == ("admin", "admin", "active"))

        // The same file as text: one summary line.
        let again = try cli.run(["import", "-"], stdin: Data(Self.line(["restart", "svc/build"], at: 8).utf8))
        #expect(again.status == 0, "\(again.stderr)")
        let newHead = try Self.head(cli)
        #expect(again.stdout == "imported 1 lines: 1 events at positions 6 to 6; head \(newHead)\n")
        #expect(try cli.json(["replay", "--verify"])["ok"] == .bool(true))
    }

    /// `webhooks remove` in an import also forgets the webhook's secret and cursor, as the
    /// command alone does.
    @Test func aWebhookRemovedByAnImportIsGoneWithItsSecret() throws {
        let cli = try Self.ledger()
        defer { cli.drop() }
        try cli.ok(["webhooks", "add", "hook", "--url", "https://example.com/hook", "--occurred-at", Self.time(1)])
        let path = try Self.file(Self.line(["webhooks", "remove", "hook"], at: 2) + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try cli.ok(["import", path])
        #expect(try cli.json(["webhooks", "list"]) == .array([]))
        let connection = try cli.db.connect()
        defer { connection.close() }
        #expect(try connection.query("SELECT count(*) FROM webhook_delivery").first?.int64(0) == 0)
        #expect(try cli.json(["replay", "--verify"])["ok"] == .bool(true))
    }

    // MARK: Large imports, and the same commands one by one

    /// 200 generated lines imported into one ledger and run one by one (with `--as`, `--reason`,
    /// `--occurred-at`) on another: the logs (but for `recorded_at` and the hashes that cover it),
    /// every projection table and the answers are the same.
    @Test func anImportEqualsTheSameCommandsRunOneByOne() throws {
        let script = ImportScript(lines: 200, seed: 42)
        let imported = try Self.ledger()
        defer { imported.drop() }
        let oneByOne = try Self.ledger()
        defer { oneByOne.drop() }

        let path = try Self.file(script.text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try imported.ok(["import", path])
        #expect(output.hasPrefix("imported 200 lines: "), "\(output)")
        for line in script.lines {
            var arguments = line.argv + ["--as", line.actor, "--occurred-at", Self.time(line.seconds)]
            if let reason = line.reason { arguments += ["--reason", reason] }
            try oneByOne.ok(arguments)
        }

        // The tables themselves.
        let a = try imported.db.connect()
        defer { a.close() }
        let b = try oneByOne.db.connect()
        defer { b.close() }
        let log =
            "SELECT position, stream, stream_version, type, data::text, actor, reason, occurred_at, token "
            + "FROM ledger_events ORDER BY position"
        #expect(try Self.rows(a, log) == Self.rows(b, log))
        #expect(try Self.rows(a, log).count > 150)
        for table in Replay.tables {
            let sql = "SELECT t::text FROM \(table) t ORDER BY 1"
            #expect(try Self.rows(a, sql) == Self.rows(b, sql), "\(table)")
        }

        // The answers.
        func withoutHashes(_ events: [JSONValue]) -> [JSONValue] {
            events.map { event in
                guard case .object(var members) = event else { return event }
                members["hash"] = nil
                return .object(members)
            }
        }
        #expect(withoutHashes(try imported.events()) == withoutHashes(try oneByOne.events()))
        for workspace in script.names {
            #expect(try imported.status(workspace) == oneByOne.status(workspace), "\(workspace)")
            let history = ["audit", "history", "--workspace", workspace]
            #expect(try imported.json(history) == oneByOne.json(history), "\(workspace)")
        }
        for read in [["users", "list"], ["groups", "list"], ["list"], ["pending"]] {
            #expect(try imported.json(read) == oneByOne.json(read), "\(read)")
        }
        for checkpoint in script.checkpoints {
            let at = ["sharing", "status", checkpoint.workspace, "--at", Self.time(checkpoint.seconds)]
            #expect(try imported.json(at) == oneByOne.json(at))
            #expect(try Self.directUsers(imported.json(at)) == checkpoint.acl, "\(at)")
        }
        #expect(try imported.json(["replay", "--verify"])["ok"] == .bool(true))
    }

    /// 100,000 generated lines into a ledger that already has a history: one transaction; then
    /// `verify` and `replay --verify` pass and the answers are those of the script's model.
    @Test func aHundredThousandLines() throws {
        let script = ImportScript(lines: 100_000, seed: 2026)
        let cli = try Self.ledger()
        defer { cli.drop() }
        try cli.ok(["users", "create", "--username", "before-import", "--occurred-at", Self.time(0)])
        let path = try Self.file(script.text)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let clock = ContinuousClock()
        let start = clock.now
        let result = try cli.run(["import", path, "-o", "json"])
        let elapsed = start.duration(to: clock.now)
        print("ImportCLITests: importing 100000 lines took \(elapsed)")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONValue.parse(result.stdout)
        #expect(report["lines"] == .int(100_000))
        #expect(report["first_position"] == .int(3))

        let verify = try cli.json(["verify"])
        #expect(verify["ok"] == .bool(true))
        #expect(verify["events"] == .int(2 + (report["events"]?.intValue ?? 0)))
        #expect(verify["head"]?["position"] == report["head"]?["position"])
        #expect(verify["head"]?["hash"] == report["head"]?["hash"])
        let replay = try cli.json(["replay", "--verify"])
        #expect(replay["ok"] == .bool(true), "\(replay)")

        for (index, workspace) in script.names.enumerated() where index % 50 == 0 {
            #expect(try Self.directUsers(cli.status(workspace)) == script.acls[index], "\(workspace)")
        }
        for checkpoint in script.checkpoints {
            let status = try cli.json(
                ["sharing", "status", checkpoint.workspace, "--at", Self.time(checkpoint.seconds)])
            #expect(Self.directUsers(status) == checkpoint.acl, "\(checkpoint.workspace) at \(checkpoint.seconds)")
            // The last event at or before that time (the line itself may have changed nothing).
            // (Whole seconds in UTC: the texts compare as the times do.)
            #expect((status["as_of"]?["time"]?.stringValue ?? "~") <= Self.time(checkpoint.seconds))
        }
        let events = try cli.events(["--workspace", script.names[0]])
        #expect(events.first?["type"] == .string("workspace_created"))
        #expect(events.allSatisfy { $0["actor"]?.stringValue != nil })
    }

    static func rows(_ connection: Connection, _ sql: String) throws -> [String] {
        try connection.query(sql).rows.map { row in row.values.map { $0 ?? "NULL" }.joined(separator: "|") }
    }

    /// `acl.users` of a `sharing status` answer, as username → role.
    static func directUsers(_ status: JSONValue) -> [String: String] {
        var users: [String: String] = [:]
        for entry in status["acl"]?["users"]?.arrayValue ?? [] {
            if let name = entry["username"]?.stringValue, let role = entry["role"]?.stringValue { users[name] = role }
        }
        return users
    }
}

/// A generated history whose every line is accepted (the names and permissions are chosen so),
/// with a model of each workspace's direct user entries to check the answers against.
struct ImportScript {
    struct Line {
        var argv: [String]
        var actor: String
        var reason: String?
        /// Seconds after ``ImportCLITests/base``; one more for each line.
        var seconds: Int
    }

    private(set) var lines: [Line] = []
    /// Each workspace's name now (`owner/name`).
    private(set) var names: [String] = []
    /// Each workspace's direct user entries now: username → role.
    private(set) var acls: [[String: String]] = []
    /// Workspaces' direct user entries as they were right after some lines: `sharing status
    /// --at` answers to check.
    private(set) var checkpoints: [(seconds: Int, workspace: String, acl: [String: String])] = []

    init(lines count: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let users = (0..<max(12, count / 100)).map { "u\($0)" }
        let groups = (0..<max(3, count / 2_000)).map { "g\($0)" }
        let owners = (0..<max(2, count / 1_000)).map { "o\($0)" }
        let workspaceCount = max(4, count / 200)
        var owner: [String] = []
        var running: [Bool] = []
        var renames = 0

        func emit(_ argv: [String], as actor: String = "admin") {
            let reason = lines.count % 7 == 0 ? "TICKET-\(lines.count)" : nil
            lines.append(Line(argv: argv, actor: actor, reason: reason, seconds: lines.count + 1))
        }
        for name in owners { emit(["users", "create", "--username", name, "--service-account"]) }
        for name in users { emit(["users", "create", "--username", name]) }
        for group in groups {
            emit(["groups", "create", group])
            emit(["groups", "edit", group, "--add-users", (0..<3).map { _ in random.pick(users) }.uniqued()])
        }
        for index in 0..<workspaceCount {
            owner.append(owners[index % owners.count])
            names.append("\(owner[index])/w\(index)")
            acls.append([:])
            running.append(true)
            emit(["create", names[index], "--template", "tmpl-\(index % 3)"])
        }
        while lines.count < count {
            let w = random.below(workspaceCount)
            let user = random.pick(users)
            let group = random.pick(groups)
            let role = random.pick(["use", "admin"])
            switch random.below(16) {
            case 0, 1, 2:
                emit(["sharing", "share", names[w], "--user", "\(user):\(role)"])
                acls[w][user] = role
            case 3:
                // The owner may share too.
                emit(["sharing", "add", names[w], "--user", user], as: owner[w])
                acls[w][user] = "use"
            case 4, 5:
                emit(["sharing", "remove", names[w], "--user", user])
                acls[w][user] = nil
            case 6: emit(["sharing", "share", names[w], "--group", "\(group):\(role)"])
            case 7: emit(["sharing", "remove", names[w], "--group", group])
            case 8: emit(["restart", names[w]], as: owner[w])
            case 9:
                emit([running[w] ? "stop" : "start", names[w]])
                running[w].toggle()
            case 10: emit(["groups", "edit", group, "--add-users", user])
            case 11: emit(["groups", "edit", group, "--rm-users", user])
            case 12:
                let incoming = random.pick(users.filter { $0 != user })
                emit(
                    ["rotate", names[w], "--out", user, "--in", "\(incoming):\(role)"]
                        + (random.below(2) == 0 ? ["--no-restart"] : []))
                acls[w][user] = nil
                acls[w][incoming] = role
            case 13:
                renames += 1
                let newName = "w\(w)-r\(renames)"
                emit(["rename", names[w], newName], as: owner[w])
                names[w] = "\(owner[w])/\(newName)"
            case 14: emit(["groups", "sync", "--user", user, "--groups", [group, random.pick(groups)].uniqued()])
            default: emit(["users", "set-role", user, "--role", random.pick(["member", "auditor"])])
            }
            if lines.count % max(1, count / 4) == 0 {
                checkpoints.append((lines.count, names[w], acls[w]))
            }
        }
    }

    /// The import file.
    var text: String {
        var out = ""
        out.reserveCapacity(lines.count * 150)
        for line in lines {
            var members: [String: JSONValue] = [
                "argv": .array(line.argv.map { .string($0) }), "as": .string(line.actor),
                "occurred_at": .string(ImportCLITests.time(line.seconds)),
            ]
            if let reason = line.reason { members["reason"] = .string(reason) }
            out += JSONValue.object(members).canonicalString + "\n"
        }
        return out
    }
}

extension Array where Element == String {
    /// The names once each, in order, comma-separated (a name listed twice is an error).
    fileprivate func uniqued() -> String {
        var seen = Set<String>()
        return filter { seen.insert($0).inserted }.joined(separator: ",")
    }
}
