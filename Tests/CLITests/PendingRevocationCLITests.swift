import AccessModel
import Foundation
import TestSupport
import Testing

/// SPEC §3 through the CLI: every way of losing access leaves a pending revocation on a running
/// workspace until it restarts; on a stopped workspace removal is immediate.
@Suite("CLI: effective access and pending revocation")
struct PendingRevocationCLITests {
    static let workspace = "oncall-sre/oncall-workspace"

    /// A running workspace shared with alice (admin), bob (use) and the group sre-oncall (use),
    /// whose only member is dave.
    static func world() throws -> LedgerCLI {
        let cli = try LedgerCLI.make()
        try cli.createUsers(["oncall-sre", "alice", "bob", "dave"])
        try cli.ok(["groups", "create", "sre-oncall"])
        try cli.ok(["groups", "edit", "sre-oncall", "--add-users", "dave"])
        try cli.ok(["create", workspace, "--template", "oncall"], as: "oncall-sre")
        try cli.ok(["sharing", "share", workspace, "--user", "alice:admin,bob", "--group", "sre-oncall"])
        return cli
    }

    struct Cause: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: [String]
        /// The user left with a lingering live role.
        var user: String
        /// Their effective role afterwards (`nil` = none) and the live role they keep.
        var role: String?
        var live: String
        /// A line the command prints.
        var confirmation: String
        var testDescription: String { name }
    }

    static let causes: [Cause] = [
        Cause(
            name: "user removed", arguments: ["sharing", "remove", workspace, "--user", "bob"], user: "bob",
            role: nil, live: "use", confirmation: "removed bob from \(workspace)"),
        Cause(
            name: "group unshared", arguments: ["sharing", "unshare", workspace, "--group", "sre-oncall"],
            user: "dave", role: nil, live: "use", confirmation: "removed group sre-oncall from \(workspace)"),
        Cause(
            name: "downgrade admin to use", arguments: ["sharing", "share", workspace, "--user", "alice:use"],
            user: "alice", role: "use", live: "admin", confirmation: "shared \(workspace) with alice (use)"),
        Cause(
            name: "left a group (groups edit)", arguments: ["groups", "edit", "sre-oncall", "--rm-users", "dave"],
            user: "dave", role: nil, live: "use", confirmation: "removed dave from group sre-oncall"),
        Cause(
            name: "left a group (groups sync)", arguments: ["groups", "sync", "--user", "dave", "--groups", ""],
            user: "dave", role: nil, live: "use", confirmation: "recorded group sync for dave: left sre-oncall"),
        Cause(
            name: "suspended", arguments: ["users", "suspend", "bob"], user: "bob", role: nil, live: "use",
            confirmation: "suspended user bob"),
        Cause(
            name: "deleted", arguments: ["users", "delete", "bob"], user: "bob", role: nil, live: "use",
            confirmation: "deleted user bob"),
        Cause(
            name: "group deleted", arguments: ["groups", "delete", "sre-oncall"], user: "dave", role: nil,
            live: "use", confirmation: "deleted group sre-oncall"),
    ]

    @Test(arguments: causes)
    func everyLossOfAccessIsPendingUntilRestart(_ cause: Cause) throws {
        let cli = try PendingRevocationCLITests.world()
        defer { cli.drop() }
        let workspace = PendingRevocationCLITests.workspace
        #expect(try cli.search("pending_revocation:true") == [])
        let output = try cli.ok(cause.arguments)
        #expect(output.contains(cause.confirmation))
        // Whatever the command, it says which workspace now needs a restart.
        #expect(output.contains("restart required: "), "\(output)")
        #expect(output.contains("until `accessledger restart \(workspace)`"), "\(output)")

        let status = try cli.status(workspace)
        let row = cli.access(status, cause.user)
        #expect(row?["role"] == (cause.role.map { .string($0) } ?? .null))
        #expect(row?["live_role"] == .string(cause.live))
        #expect(row?["state"] == "pending_revocation")
        let via: JSONValue = cause.role == nil ? [] : ["user"]
        #expect(row?["via"] == via)
        #expect(status["restart_required"] == true)
        #expect(try cli.search("pending_revocation:true") == [workspace])
        #expect(try cli.search("pending_revocation:false") == [])
        #expect(try cli.ok(["sharing", "status", workspace]).contains("restart required: \(cause.user)"))

        try cli.ok(["restart", workspace])
        let after = try cli.status(workspace)
        #expect(after["restart_required"] == false)
        let afterRow = cli.access(after, cause.user)
        if let role = cause.role {
            #expect(afterRow?["live_role"] == .string(role) && afterRow?["state"] == "active")
        } else {
            #expect(afterRow == nil)
        }
        #expect(try cli.search("pending_revocation:true") == [])
        #expect(try cli.search("pending_revocation:false") == [workspace])
    }

    @Test func onAStoppedWorkspaceRemovalIsImmediate() throws {
        let cli = try PendingRevocationCLITests.world()
        defer { cli.drop() }
        let workspace = PendingRevocationCLITests.workspace
        #expect(try cli.ok(["stop", workspace], as: "bob") == "stopped \(workspace)\n")
        let stopped = try cli.status(workspace)
        #expect(stopped["status"] == "stopped")
        #expect(stopped["access"]?.arrayValue?.count == 3)
        #expect(
            stopped["access"]?.arrayValue?.allSatisfy { $0["live_role"] == .null && $0["state"] == "active" } == true)

        let removal = try cli.ok(["sharing", "remove", workspace, "--user", "bob", "--group", "sre-oncall"])
        #expect(!removal.contains("restart required"))
        #expect(try cli.ok(["users", "suspend", "dave"]) == "suspended user dave\n", "nothing lingers when stopped")
        try cli.ok(["sharing", "share", workspace, "--user", "alice:use"])
        let after = try cli.status(workspace)
        #expect(after["restart_required"] == false)
        #expect(
            after["access"] == [
                ["username": "alice", "role": "use", "live_role": nil, "via": ["user"], "state": "active"]
            ])
        #expect(try cli.search("pending_revocation:true") == [])
        #expect(try cli.search("status:stopped") == [workspace])

        try cli.ok(["start", workspace], as: "alice")
        #expect(try cli.accessOf("alice", on: workspace) == ("use", "use", "active"))
        #expect(try cli.accessOf("bob", on: workspace) == (nil, nil, nil))
    }

    @Test func everyoneGivesEveryActiveUserAccess() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        let workspace = PendingRevocationCLITests.workspace
        try cli.createUsers(["oncall-sre", "alice", "bob"])
        try cli.ok(["create", workspace, "--template", "oncall"])
        #expect(try cli.ok(["sharing", "share", workspace, "--group", "Everyone"]).contains("group Everyone (use)"))
        let status = try cli.status(workspace)
        #expect(status["acl"]?["groups"] == [["name": "Everyone", "role": "use", "member_count": 4]])
        let users = status["access"]?.arrayValue?.compactMap { $0["username"]?.stringValue }
        #expect(users == ["admin", "alice", "bob"])  // the owner's access is implicit, not shared
        #expect(cli.access(status, "bob")?["via"] == ["group:Everyone"])

        // A user created later is in Everyone at once; suspending them leaves a live role.
        try cli.createUsers(["carol"])
        #expect(try cli.accessOf("carol", on: workspace) == ("use", "use", "active"))
        try cli.ok(["users", "suspend", "carol"])
        #expect(try cli.accessOf("carol", on: workspace) == (nil, "use", "pending_revocation"))
        #expect(try cli.status(workspace)["acl"]?["groups"]?.arrayValue?.first?["member_count"] == 4)
        #expect(try cli.search("has_access:bob") == [workspace])
        #expect(try cli.search("shared_with_group:everyone") == [workspace])
        #expect(try cli.search("shared_with_user:bob") == [])

        // Everyone is built in: listed, not editable.
        let groups = try cli.json(["groups", "list"]).arrayValue ?? []
        #expect(groups.first?["name"] == "Everyone" && groups.first?["member_count"] == 4)
        let edit = try cli.run(["groups", "edit", "Everyone", "--rm-users", "bob"])
        #expect(edit.status == 3)
        #expect(edit.stderr.contains("Everyone"))
    }

    @Test func sharedWithUserIsDirectOnlyWhileHasAccessFollowsGroups() throws {
        let cli = try PendingRevocationCLITests.world()
        defer { cli.drop() }
        let workspace = PendingRevocationCLITests.workspace
        try cli.ok(["create", "oncall-sre/other", "--template", "oncall"])
        try cli.ok(["sharing", "share", "oncall-sre/other", "--user", "dave:admin"])
        #expect(try cli.search("shared_with_user:dave") == ["oncall-sre/other"])
        #expect(try cli.search("has_access:dave") == [workspace, "oncall-sre/other"])
        #expect(try cli.search("has_access:DAVE shared:true status:running") == [workspace, "oncall-sre/other"])
        #expect(try cli.search("shared_with_user:alice") == [workspace])
        #expect(try cli.search("shared_with_group:sre-oncall") == [workspace])
        #expect(try cli.search("owner:oncall-sre name:oth") == ["oncall-sre/other"])
        #expect(try cli.search("oncall-sre/other") == ["oncall-sre/other"])

        // Both entries count in `via`; dropping one keeps the other's role.
        try cli.ok(["sharing", "share", workspace, "--user", "dave"])
        let both = try cli.status(workspace)
        #expect(cli.access(both, "dave")?["via"] == ["user", "group:sre-oncall"])
        try cli.ok(["sharing", "remove", workspace, "--user", "dave"])
        #expect(try cli.accessOf("dave", on: workspace) == ("use", "use", "active"))

        // Leaving the group: no longer has_access, though still live until a restart.
        try cli.ok(["groups", "edit", "sre-oncall", "--rm-users", "dave"])
        #expect(try cli.search("has_access:dave") == ["oncall-sre/other"])
        #expect(try cli.search("pending_revocation:true") == [workspace])
    }
}
