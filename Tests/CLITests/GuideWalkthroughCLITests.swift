import AccessModel
import Foundation
import TestSupport
import Testing

/// The on-call walkthrough of the Coder guide (reference/persistent-shared-workspaces.md), step by
/// step, through the built binary against a real PostgreSQL.
@Suite("CLI: the persistent shared workspace guide")
struct GuideWalkthroughCLITests {
    let workspace = "oncall-sre/oncall-workspace"

    @Test func theOnCallRotationEndToEnd() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["alice", "bob", "carol", "dave", "erin"])
        try cli.ok(["groups", "create", "sre-oncall"])
        try cli.ok(["groups", "edit", "sre-oncall", "--add-users", "dave,erin"])

        // 1. A service account owns the workspace.
        let created = try cli.ok(["users", "create", "--username", "oncall-sre", "--service-account"])
        #expect(created.contains("created service account oncall-sre"))
        let users = try cli.json(["users", "list"]).arrayValue ?? []
        let account = users.first { $0["username"] == "oncall-sre" }
        #expect(account?["kind"] == "service_account")
        #expect(account?["role"] == "member" && account?["status"] == "active")

        // 2. Its token: printed once, stored only as a hash, never listed.
        let tokenRun = try cli.run([
            "tokens", "create", "--user", "oncall-sre", "--name", "oncall-automation", "--lifetime", "8760h",
        ])
        #expect(tokenRun.status == 0, "\(tokenRun.stderr)")
        let secret = try #require(tokenRun.stdout.split(separator: "\n").last.map(String.init))
        #expect(secret.hasPrefix("al_") && secret.count == 67)
        #expect(tokenRun.stdout.contains("created token oncall-automation for oncall-sre, lifetime 8760h"))
        let tokens = try cli.json(["tokens", "list", "--user", "oncall-sre"]).arrayValue ?? []
        #expect(tokens.count == 1)
        #expect(tokens.first?["name"] == "oncall-automation" && tokens.first?["user"] == "oncall-sre")
        #expect(tokens.first?["revoked"] == .null)
        let created0 = try #require(tokens.first?["created"]?.stringValue.flatMap { Timestamp(rfc3339: $0) })
        let expires = try #require(tokens.first?["expires"]?.stringValue.flatMap { Timestamp(rfc3339: $0) })
        #expect(expires.microseconds - created0.microseconds == 8760 * 3_600_000_000)
        let everything =
            try cli.ok(["tokens", "list"]) + (try cli.ok(["tokens", "list", "-o", "json"]))
            + (try cli.ok(["audit", "log", "-o", "json"]))
        #expect(!everything.contains(secret))
        #expect(!everything.contains(String(secret.dropFirst(3))))
        let hashes = try cli.events(["--type", "token_created"]).compactMap {
            $0["data"]?["secret_sha256"]?.stringValue
        }
        #expect(hashes.count == 1 && hashes.first?.count == 64)
        #expect(hashes.first != nil && everything.contains(hashes.first ?? "-"))

        // 3. The workspace, created by the service account itself; it is running.
        #expect(
            try cli.ok(["create", workspace, "--template", "oncall-template"], as: "oncall-sre")
                .contains("created workspace oncall-sre/oncall-workspace from template oncall-template (running)"))

        // 4. Shares: a user (use), then admin, several users, a group.
        #expect(
            try cli.ok(["sharing", "share", workspace, "--user", "alice"]) == "shared \(workspace) with alice (use)\n")
        #expect(try cli.ok(["sharing", "share", workspace, "--user", "alice:admin"]).contains("alice (admin)"))
        let several = try cli.ok(["sharing", "add", workspace, "--user", "alice:admin,bob"])
        #expect(several == "shared \(workspace) with bob (use)\n")  // alice already admin: only bob recorded
        #expect(
            try cli.ok(["sharing", "share", workspace, "--group", "sre-oncall"]).contains("group sre-oncall (use)"))
        let before = try cli.status(workspace)
        #expect(before["restart_required"] == false)
        #expect(
            before["acl"]?["users"] == [["username": "alice", "role": "admin"], ["username": "bob", "role": "use"]])
        #expect(before["acl"]?["groups"] == [["name": "sre-oncall", "role": "use", "member_count": 2]])

        // 5. Rotation alice → carol: alice keeps her live admin role until a restart.
        let removal = try cli.ok(["sharing", "remove", workspace, "--user", "alice"])
        #expect(removal.hasPrefix("removed alice from \(workspace)\n"))
        #expect(removal.contains("restart required: alice"))
        try cli.ok(["sharing", "share", workspace, "--user", "carol"])
        let pending = try cli.status(workspace)
        #expect(pending["workspace"] == "oncall-sre/oncall-workspace" && pending["status"] == "running")
        #expect(
            cli.access(pending, "alice")
                == ["username": "alice", "role": nil, "live_role": "admin", "via": [], "state": "pending_revocation"])
        #expect(
            cli.access(pending, "carol")
                == ["username": "carol", "role": "use", "live_role": "use", "via": ["user"], "state": "active"])
        #expect(cli.access(pending, "dave")?["via"] == ["group:sre-oncall"])
        #expect(
            pending["access"]?.arrayValue?.compactMap { $0["username"]?.stringValue } == [
                "alice", "bob", "carol", "dave", "erin",
            ])
        #expect(pending["restart_required"] == true)
        let table = try cli.ok(["sharing", "status", workspace])
        #expect(table.contains("USER   GROUP"))
        #expect(table.contains("LIVE ROLE"))
        #expect(table.range(of: #"alice +- +admin +- +pending_revocation"#, options: .regularExpression) != nil)
        #expect(table.contains("restart required: alice"))

        // The restart ends the pending revocation.
        #expect(try cli.ok(["restart", workspace]).contains("restarted \(workspace)"))
        let after = try cli.status(workspace)
        #expect(after["restart_required"] == false)
        #expect(cli.access(after, "alice") == nil)
        #expect(after["access"]?.arrayValue?.allSatisfy { $0["state"] == "active" } == true)
        #expect(try !cli.ok(["sharing", "list", workspace]).contains("restart required"))

        // Finding shared workspaces.
        try cli.ok(["create", "oncall-sre/scratch", "--template", "oncall-template"])
        #expect(try cli.search("shared:true") == [workspace])
        #expect(try cli.search("shared:false") == ["oncall-sre/scratch"])
        #expect(try cli.search("shared_with_user:alice") == [])
        #expect(try cli.search("shared_with_user:carol") == [workspace])
        #expect(try cli.search("shared_with_group:sre-oncall") == [workspace])
        let listTable = try cli.ok(["list", "--search", "shared_with_group:sre-oncall"])
        #expect(listTable == "WORKSPACE                    STATUS   SHARED\n\(workspace)  running  yes\n")
        #expect(
            try cli.json(["list"]) == [
                [
                    "workspace": "oncall-sre/oncall-workspace", "owner": "oncall-sre", "name": "oncall-workspace",
                    "status": "running", "shared": true,
                ],
                [
                    "workspace": "oncall-sre/scratch", "owner": "oncall-sre", "name": "scratch", "status": "running",
                    "shared": false,
                ],
            ])

        // The log tells the story; the chain verifies.
        let types = try cli.events(["--workspace", workspace]).compactMap { $0["type"]?.stringValue }
        #expect(
            types == [
                "workspace_created", "workspace_shared", "workspace_shared", "workspace_shared", "workspace_shared",
                "workspace_unshared", "workspace_shared", "workspace_restarted",
            ])
        let aboutAlice = try cli.events(["--user", "alice"]).compactMap { $0["type"]?.stringValue }
        #expect(aboutAlice == ["user_created", "workspace_shared", "workspace_shared", "workspace_unshared"])
        #expect(try cli.eventCount() == 19)
    }

    /// The JSON of `sharing status` has SPEC §5's keys in SPEC §5's order.
    @Test func sharingStatusJSONKeepsTheSpecKeyOrder() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["oncall-sre", "alice"])
        try cli.ok(["groups", "create", "sre-oncall"])
        try cli.ok(["create", workspace, "--template", "t"])
        try cli.ok(["sharing", "share", workspace, "--user", "alice:admin", "--group", "sre-oncall"])
        let text = try cli.ok(["sharing", "status", workspace, "-o", "json"])
        func order(_ keys: [String]) -> Bool {
            let offsets = keys.compactMap { text.range(of: "\"\($0)\":")?.lowerBound }
            return offsets.count == keys.count && offsets == offsets.sorted()
        }
        #expect(
            order([
                "workspace", "status", "as_of", "position", "time", "acl", "users", "username", "role",
                "groups", "name", "member_count", "access", "live_role", "via", "state", "restart_required",
            ]))
        let json = try JSONValue.parse(text)
        #expect(json["as_of"]?["position"]?.intValue == (try cli.eventCount()))
        #expect(json["as_of"]?["time"]?.stringValue.flatMap { Timestamp(rfc3339: $0) } != nil)
        #expect(json["acl"]?["groups"] == [["name": "sre-oncall", "role": "use", "member_count": 0]])
        #expect(
            json["access"] == [
                ["username": "alice", "role": "admin", "live_role": "admin", "via": ["user"], "state": "active"]
            ])
    }
}
