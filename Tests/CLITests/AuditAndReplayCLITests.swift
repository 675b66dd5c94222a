import AccessModel
import Foundation
import TestSupport
import Testing

/// Issue 4 from the command line: answers as of the past, audit history, rotate, replay.
@Suite("CLI: as-of answers, audit history, rotate, replay")
struct AuditAndReplayCLITests {
    static let workspace = "oncall-sre/oncall-workspace"

    /// The guide's set-up; returns the CLI with alice (admin) and bob (use) sharing the workspace.
    func setUp() throws -> LedgerCLI {
        let cli = try LedgerCLI.make()
        for user in ["alice", "bob", "carol"] { try cli.ok(["users", "create", "--username", user]) }
        try cli.ok(["users", "create", "--username", "oncall-sre", "--service-account"])
        try cli.ok(["create", Self.workspace, "--template", "oncall"])
        try cli.ok(["sharing", "share", Self.workspace, "--user", "alice:admin,bob"])
        return cli
    }

    @Test func atPositionPrintsExactlyWhatStatusPrintedThen() throws {
        let cli = try setUp()
        defer { cli.drop() }
        var printed: [Int64: String] = [:]
        var lists: [Int64: String] = [:]
        func record() throws {
            let status = try cli.ok(["sharing", "status", Self.workspace, "-o", "json"])
            let position = try JSONValue.parse(status)["as_of"]?["position"]?.intValue ?? -1
            printed[position] = status
            lists[position] = try cli.ok(["list", "--search", "shared:true", "-o", "json"])
        }
        try record()
        for step in [
            ["rotate", Self.workspace, "--out", "alice", "--in", "carol", "--no-restart"],
            ["groups", "create", "sre-oncall"], ["groups", "edit", "sre-oncall", "--add-users", "bob"],
            ["sharing", "share", Self.workspace, "--group", "sre-oncall:admin"], ["stop", Self.workspace],
            ["start", Self.workspace], ["users", "suspend", "bob"], ["restart", Self.workspace],
            ["rename", Self.workspace, "renamed"],
        ] {
            try cli.ok(step)
            if step.first != "rename" { try record() }
        }
        #expect(printed.count >= 8)
        for (position, text) in printed {
            let again = try cli.ok([
                "sharing", "status", Self.workspace, "--at-position", String(position), "-o", "json",
            ])
            #expect(again == text, "at position \(position)")
            let listed = try cli.ok([
                "list", "--search", "shared:true", "--at-position", String(position), "-o", "json",
            ])
            #expect(listed == lists[position])
        }
        // --at a time: the answer right after the last event at or before it.
        let pending = try #require(printed.first { $0.value.contains("pending_revocation") })
        let time = try #require(try JSONValue.parse(pending.value)["as_of"]?["time"]?.stringValue)
        let byTime = try cli.ok(["sharing", "status", Self.workspace, "--at", time, "-o", "json"])
        #expect(try JSONValue.parse(byTime)["as_of"]?["time"]?.stringValue == time)
        // The name belongs to the workspace that held it then; now it is free.
        let now = try cli.run(["sharing", "status", Self.workspace])
        #expect(now.status == 2 && now.stderr.contains("unknown workspace"))
        let tooFar = try cli.run(["sharing", "status", "oncall-sre/renamed", "--at-position", "9999"])
        #expect(tooFar.status == 2 && tooFar.stderr.contains("9999"))
        let both = try cli.run(["list", "--at", time, "--at-position", "3"])
        #expect(both.status == 2)
        let badTime = try cli.run(["list", "--at", "last tuesday"])
        #expect(badTime.status == 2 && badTime.stderr.contains("\"last tuesday\""))
    }

    @Test func auditHistoryAnswersTheAuditorsQuestionAndEscapesCSV() throws {
        let cli = try setUp()
        defer { cli.drop() }
        let reason = "INC-42, \"urgent\"\nsecond line"
        try cli.ok(["sharing", "remove", Self.workspace, "--user", "alice", "--reason", reason])
        try cli.ok(["restart", Self.workspace, "--as", "oncall-sre", "--reason", "shift change"])
        let intervals = try #require(try cli.json(["audit", "history", "--workspace", Self.workspace]).arrayValue)
        let alice = intervals.filter { $0["username"] == "alice" }
        #expect(alice.count == 2)
        #expect(alice[0]["role"] == "admin" && alice[0]["state"] == "active")
        #expect(alice[0]["started_by"]?["actor"] == "admin" && alice[0]["started_by"]?["type"] == "workspace_shared")
        #expect(alice[0]["ended_by"]?["reason"] == .string(reason))
        #expect(
            alice[1]["role"] == .null && alice[1]["live_role"] == "admin" && alice[1]["state"] == "pending_revocation")
        #expect(alice[1]["ended_by"]?["type"] == "workspace_restarted")
        #expect(alice[1]["ended_by"]?["actor"] == "oncall-sre")
        #expect(alice[1]["to"]?["position"] != .null)
        let keys = Set(alice[0].objectValue?.keys.map { $0 } ?? [])
        #expect(
            keys.isSuperset(of: [
                "workspace", "username", "role", "live_role", "state", "via", "from", "to",
                "started_by", "ended_by",
            ]))

        let csv = try cli.ok(["audit", "history", "--user", "alice", "-o", "csv"])
        let records = try Self.parseCSV(csv)
        #expect(records.first?.first == "workspace")
        #expect(records.count == 3, "header and two intervals")
        let reasonColumn = try #require(records[0].firstIndex(of: "ended_by_reason"))
        #expect(records[1][reasonColumn] == reason, "RFC 4180 round trip")
        #expect(csv.hasSuffix("\r\n"))

        let log = try #require(try cli.json(["audit", "log", "--type", "workspace_unshared"]).arrayValue)
        #expect(log.first?["reason"] == .string(reason))
        let neither = try cli.run(["audit", "history"])
        #expect(neither.status == 2)
    }

    @Test func rotateIsAllOrNothing() throws {
        let cli = try setUp()
        defer { cli.drop() }
        let before = try cli.eventCount()
        let unknown = try cli.run(["rotate", Self.workspace, "--out", "alice", "--in", "nobody"])
        #expect(unknown.status == 2 && unknown.stderr.contains("\"nobody\""))
        let refused = try cli.run(["rotate", Self.workspace, "--out", "alice", "--in", "carol"], as: "bob")
        #expect(refused.status == 3)
        #expect(try cli.eventCount() == before, "a failing rotation appends nothing")
        #expect(try cli.accessOf("alice", on: Self.workspace).role == "admin")

        let rotated = try cli.ok(["rotate", Self.workspace, "--out", "alice", "--in", "carol"])
        #expect(!rotated.contains("restart required"), "the rotation restarted: nothing lingers")
        #expect(try cli.eventCount() == before + 3)
        let status = try cli.status(Self.workspace)
        #expect(cli.access(status, "alice") == nil, "restarted: alice's live access ended")
        #expect(cli.access(status, "carol")?["state"] == "active")
        #expect(status["restart_required"] == .bool(false))
        let types = try cli.json(["audit", "log", "--workspace", Self.workspace]).arrayValue?.suffix(3)
            .compactMap { $0["type"]?.stringValue }
        #expect(types == ["workspace_unshared", "workspace_shared", "workspace_restarted"])

        let lingering = try cli.ok(["rotate", Self.workspace, "--out", "carol", "--in", "alice", "--no-restart"])
        #expect(
            lingering.hasSuffix(
                "restart required: \(Self.workspace) has pending revocations until `accessledger restart \(Self.workspace)`\n"
            ))
    }

    @Test func occurredAtBackfillsButNeverGoesBackwards() throws {
        let cli = try setUp()
        defer { cli.drop() }
        let last = try #require(try cli.json(["audit", "log"]).arrayValue?.last?["time"]?.stringValue)
        let earlier = try cli.run(["groups", "create", "g", "--occurred-at", "2020-01-01T00:00:00Z"])
        #expect(earlier.status == 2)
        #expect(earlier.stderr.contains("2020-01-01T00:00:00Z") && earlier.stderr.contains(last))
        let future = try cli.run(["groups", "create", "g", "--occurred-at", "2999-01-01T00:00:00Z"])
        #expect(future.status == 2)
        #expect(try cli.json(["groups", "list"]).arrayValue?.count == 1, "only Everyone")
    }

    @Test func replayVerifyFindsAHandEditAndReplayRepairsIt() throws {
        let cli = try setUp()
        defer { cli.drop() }
        try cli.ok(["sharing", "remove", Self.workspace, "--user", "bob"])
        let clean = try cli.json(["replay", "--verify"])
        #expect(clean["ok"] == .bool(true) && clean["differences"] == .array([]))
        let before = try cli.ok(["sharing", "status", Self.workspace, "-o", "json"])

        let owner = try cli.db.connect()
        try owner.query("UPDATE access SET held_role = NULL WHERE username = 'bob'")
        try owner.query("DELETE FROM workspace_user_acl WHERE username = 'alice'")
        let damaged = try cli.run(["replay", "--verify", "-o", "json"])
        #expect(damaged.status == 5)
        let report = try JSONValue.parse(damaged.stdout)
        #expect(report["ok"] == .bool(false))
        let differences = report["differences"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(differences.contains { $0.hasPrefix("access:") && $0.contains("bob") })
        #expect(differences.contains { $0.hasPrefix("workspace_user_acl:") && $0.contains("alice") })
        #expect(damaged.stderr.hasPrefix("error: "))

        let rebuilt = try cli.ok(["replay"])
        #expect(rebuilt.contains("rebuilt every projection"))
        #expect(try cli.ok(["sharing", "status", Self.workspace, "-o", "json"]) == before)
        #expect(try cli.json(["replay", "--verify"])["ok"] == .bool(true))
        try cli.ok(["sharing", "share", Self.workspace, "--user", "bob"])
    }

    /// A small RFC 4180 reader for the test (quoted fields, doubled quotes, CRLF records).
    static func parseCSV(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                record.append(field); field = ""
            } else if c == "\r\n" || c == "\n" {
                record.append(field); field = ""; records.append(record); record = []
            } else {
                field.append(c)
            }
        }
        return records
    }
}
