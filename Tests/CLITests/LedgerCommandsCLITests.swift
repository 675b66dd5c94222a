import AccessModel
import Foundation
import TestSupport
import Testing

/// Users, tokens, groups and workspace lifecycle commands, their listings, and the metadata
/// every mutating command records.
@Suite("CLI: users, tokens, groups, workspaces")
struct LedgerCommandsCLITests {
    @Test func usersLifecycleAndListing() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        #expect(
            try cli.ok(["users", "create", "--username", "Alice", "--role", "user-admin"])
                == "created user Alice (site role user-admin)\n")
        try cli.ok(["users", "create", "--username", "bob"], as: "alice")  // actors are case-insensitive
        #expect(
            try cli.ok(["users", "set-role", "BOB", "--role", "auditor"])
                == "changed the site role of bob from member to auditor\n")
        #expect(try cli.ok(["users", "suspend", "bob"]) == "suspended user bob\n")
        #expect(try cli.ok(["users", "activate", "bob"]) == "activated user bob\n")
        try cli.ok(["users", "create", "--username", "gone"])
        #expect(try cli.ok(["users", "delete", "gone"]).hasPrefix("deleted user gone"))
        #expect(
            try cli.json(["users", "list"]) == [
                ["username": "admin", "kind": "human", "role": "owner", "status": "active"],
                ["username": "Alice", "kind": "human", "role": "user-admin", "status": "active"],
                ["username": "bob", "kind": "human", "role": "auditor", "status": "active"],
                ["username": "gone", "kind": "human", "role": "member", "status": "deleted"],
            ])
        let table = try cli.ok(["users", "list"])
        #expect(table.hasPrefix("USERNAME  KIND   SITE ROLE   STATUS\nadmin     human  owner       active\n"))
        #expect(try cli.events().compactMap { $0["actor"]?.stringValue }[2] == "Alice")
    }

    @Test func tokensAreListedButNeverShown() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["bot"])
        let first = try cli.ok(["tokens", "create", "--user", "bot", "--name", "ci", "--lifetime", "30d"])
        let second = try cli.ok(["tokens", "create", "--user", "admin", "--name", "laptop", "--lifetime", "1h30m"])
        let secrets = [first, second].compactMap { $0.split(separator: "\n").last.map(String.init) }
        #expect(secrets.count == 2 && secrets[0] != secrets[1])
        #expect(second.contains("lifetime 1h30m"))
        // The stored hash is the SHA-256 of the printed secret.
        let hashes = try cli.events(["--type", "token_created"]).compactMap {
            $0["data"]?["secret_sha256"]?.stringValue
        }
        let sha = try runProcess(
            "/usr/bin/env",
            [
                "python3", "-c", "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())",
                secrets[0],
            ])
        #expect(hashes.first == sha.stdout.trimmingCharacters(in: .whitespacesAndNewlines))

        #expect(try cli.ok(["tokens", "revoke", "--user", "bot", "--name", "ci"]) == "revoked token ci of bot\n")
        #expect(try cli.ok(["tokens", "revoke", "--user", "bot", "--name", "ci"]) == "nothing to change\n")
        let all = try cli.json(["tokens", "list"]).arrayValue ?? []
        #expect(all.compactMap { $0["name"]?.stringValue } == ["laptop", "ci"])
        #expect(
            all.map { Set(($0.objectValue ?? [:]).keys) }.allSatisfy {
                $0 == ["name", "user", "created", "expires", "revoked"]
            })
        #expect(all.last?["revoked"]?.stringValue != nil && all.first?["revoked"] == .null)
        #expect(try cli.json(["tokens", "list", "--user", "BOT"]).arrayValue?.count == 1)
        let table = try cli.ok(["tokens", "list"])
        #expect(table.hasPrefix("NAME    USER   CREATED"))
        for secret in secrets { #expect(!table.contains(secret)) }
    }

    @Test func groupsEditSyncAndList() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["alice", "bob", "carol"])
        try cli.ok(["groups", "create", "sre-oncall"])
        try cli.ok(["groups", "create", "dba"])
        #expect(
            try cli.ok(["groups", "edit", "sre-oncall", "--add-users", "alice,bob", "--add-users", "carol"])
                == "added alice, bob, carol to group sre-oncall\n")
        #expect(
            try cli.ok(["groups", "edit", "sre-oncall", "--rm-users", "carol"])
                == "removed carol from group sre-oncall\n")
        let sync = try cli.ok(["groups", "sync", "--user", "alice", "--groups", "dba,ghost,Everyone"])
        #expect(
            sync == "recorded group sync for alice: joined dba; left sre-oncall; "
                + "ignored unknown ghost (--create-missing would create them)\n")
        let created = try cli.ok([
            "groups", "sync", "--user", "bob", "--groups", "ghost", "--groups", "new-team",
            "--create-missing",
        ])
        #expect(
            created == """
                created group ghost (source idp)
                created group new-team (source idp)
                recorded group sync for bob: joined ghost, new-team; left sre-oncall; created ghost, new-team

                """)
        #expect(
            try cli.ok(["groups", "sync", "--user", "bob", "--groups", "ghost,new-team"])
                == "recorded group sync for bob: memberships unchanged\n")
        #expect(
            try cli.json(["groups", "list"]) == [
                ["name": "dba", "source": "manual", "member_count": 1, "members": ["alice"]],
                ["name": "Everyone", "source": "builtin", "member_count": 4, "members": []],
                ["name": "ghost", "source": "idp", "member_count": 1, "members": ["bob"]],
                ["name": "new-team", "source": "idp", "member_count": 1, "members": ["bob"]],
                ["name": "sre-oncall", "source": "manual", "member_count": 0, "members": []],
            ])
        #expect(try cli.ok(["groups", "delete", "ghost"]).hasPrefix("deleted group ghost"))
        let table = try cli.ok(["groups", "list"])
        #expect(table.contains("Everyone    builtin  4               (every active user)"))
        #expect(!table.contains("ghost"))
        #expect(try cli.events(["--type", "group_synced"]).count == 3)
    }

    @Test func workspaceLifecycleAndTheNameItHoldsNow() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["alice", "bob"])
        #expect(
            try cli.ok(["create", "alice/dev", "--template", "go"], as: "alice")
                == "created workspace alice/dev from template go (running)\n")
        try cli.ok(["sharing", "share", "alice/dev", "--user", "bob:admin"], as: "alice")
        #expect(try cli.ok(["stop", "alice/dev"], as: "bob") == "stopped alice/dev\n")
        #expect(try cli.ok(["stop", "alice/dev"], as: "bob") == "nothing to change\n")
        #expect(try cli.ok(["start", "alice/dev"], as: "bob") == "started alice/dev\n")
        #expect(try cli.ok(["rename", "alice/dev", "prod"], as: "bob") == "renamed alice/dev to alice/prod\n")
        let gone = try cli.run(["sharing", "status", "alice/dev"])
        #expect(gone.status == 2 && gone.stderr.contains("unknown workspace \"alice/dev\""))
        // The old name is free again: a new workspace, with its own history.
        try cli.ok(["create", "alice/dev", "--template", "go"], as: "alice")
        #expect(try cli.events(["--workspace", "alice/prod"]).count == 5)
        #expect(try cli.events(["--workspace", "alice/dev"]).count == 1)
        #expect(try cli.ok(["delete", "alice/prod"], as: "alice") == "deleted workspace alice/prod\n")
        #expect(try cli.search("") == ["alice/dev"])
        #expect(try cli.ok(["list", "--search", "bob"]) == "no workspaces match\n")
    }

    @Test func reasonsActorsAndBackfilledTimesAreRecorded() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["alice"])
        try cli.ok(["create", "admin/ws", "--template", "t"])
        let now = try #require(try cli.events().last?["time"]?.stringValue.flatMap { Timestamp(rfc3339: $0) })
        let later = Timestamp(microseconds: now.microseconds + 1_000_000)
        // Backfills may not be in the future: use a time just after the last event, once it has passed.
        usleep(1_200_000)
        let result = try cli.run([
            "sharing", "share", "admin/ws", "--user", "alice", "--reason", "INC-42: \"on call\"", "--occurred-at",
            later.rfc3339,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let last = try #require(try cli.events().last)
        #expect(last["reason"] == "INC-42: \"on call\"")
        #expect(last["actor"] == "admin")
        #expect(last["time"] == .string(later.rfc3339))
        let env = try cli.run(
            ["sharing", "remove", "admin/ws", "--user", "alice"], as: "",
            environment: ["ACCESSLEDGER_ACTOR": "ADMIN"])
        #expect(env.status == 0, "\(env.stderr)")
        #expect(try cli.events().last?["actor"] == "admin")
        let override = try cli.run(["sharing", "share", "admin/ws", "--user", "alice", "--as", "admin"], as: "alice")
        #expect(override.status == 0, "--as wins over ACCESSLEDGER_ACTOR: \(override.stderr)")
    }

    @Test func auditLogFiltersByWorkspaceAndUser() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        try cli.createUsers(["alice", "bob"])
        try cli.ok(["groups", "create", "team"])
        try cli.ok(["groups", "edit", "team", "--add-users", "alice"])
        try cli.ok(["create", "admin/one", "--template", "t"])
        try cli.ok(["create", "admin/two", "--template", "t"])
        try cli.ok(["sharing", "share", "admin/one", "--user", "alice,bob"])
        try cli.ok(["sharing", "share", "admin/two", "--user", "bob"])
        try cli.ok(["tokens", "create", "--user", "alice", "--name", "cli", "--lifetime", "1h"])
        let aboutAlice = try cli.events(["--user", "alice"]).compactMap { $0["type"]?.stringValue }
        #expect(aboutAlice == ["user_created", "group_members_added", "workspace_shared", "token_created"])
        let one = try cli.events(["--workspace", "admin/one", "--user", "bob"]).compactMap { $0["position"]?.intValue }
        #expect(one.count == 1)
        let table = try cli.ok(["audit", "log", "--workspace", "admin/two"])
        #expect(table.split(separator: "\n").count == 3)
        #expect(!table.contains(" \n"))
    }
}
