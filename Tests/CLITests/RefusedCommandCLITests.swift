import AccessModel
import Foundation
import TestSupport
import Testing

/// Refused commands: exit 2 for bad input, 3 for the rules, a one-line `error: ` naming the
/// offending value, and nothing appended.
@Suite("CLI: refused commands")
struct RefusedCommandCLITests {
    static let workspace = "oncall-sre/oncall-workspace"
    static let longName = String(repeating: "a", count: 200)

    /// A ledger with a shared workspace: alice admin, bob use, group sre-oncall (dave), and a
    /// suspended user sam.
    static func seeded() throws -> LedgerCLI {
        let cli = try LedgerCLI.make()
        try cli.createUsers(["oncall-sre", "alice", "bob", "dave", "sam"])
        try cli.ok(["groups", "create", "sre-oncall"])
        try cli.ok(["groups", "edit", "sre-oncall", "--add-users", "dave"])
        try cli.ok(["create", workspace, "--template", "oncall"])
        try cli.ok(["sharing", "share", workspace, "--user", "alice:admin,bob", "--group", "sre-oncall"])
        try cli.ok(["users", "suspend", "sam"])
        return cli
    }

    /// (arguments, the text the message must contain); every one exits 2.
    static let invalidInputs: [([String], String)] = [
        (["sharing", "share", workspace, "--user", "alice_bob:admin"], "\"alice_bob:admin\""),
        (["sharing", "share", workspace, "--user", "alice:owner"], "\"alice:owner\""),
        (["sharing", "share", workspace, "--user", "alice:Admin"], "\"alice:Admin\""),
        (["sharing", "share", workspace, "--user", "ålice"], "\"ålice\""),
        (["sharing", "share", workspace, "--user", "\"alice\""], #""\"alice\"""#),
        (["sharing", "share", workspace, "--user", "alice'"], "\"alice'\""),
        (["sharing", "share", workspace, "--user", longName], "\"\(longName)\""),
        (["sharing", "share", workspace, "--user", "bob,,alice"], "\"bob,,alice\""),
        (["sharing", "share", workspace, "--user", "bob", "--user", "BOB:admin"], "\"BOB\""),
        (["sharing", "share", workspace, "--user", "zed"], "unknown user \"zed\""),
        (["sharing", "share", workspace, "--group", "zed"], "unknown group \"zed\""),
        (["sharing", "share", workspace, "--group", "sre_oncall"], "\"sre_oncall\""),
        (["sharing", "share", "oncall-sre/nope", "--user", "bob"], "unknown workspace \"oncall-sre/nope\""),
        (["sharing", "share", "oncall-sre", "--user", "bob"], "\"oncall-sre\""),
        (["sharing", "share", "a/b/c", "--user", "bob"], "\"a/b/c\""),
        (["sharing", "share", workspace, "--user", "bob", "--as", "zed"], "unknown actor \"zed\""),
        (["sharing", "share", workspace, "--user", "bob", "--as", "z ed"], "\"z ed\""),
        (["sharing", "share", workspace], "at least one user or group must be provided"),
        (["sharing", "remove", workspace], "at least one user or group must be provided"),
        (["sharing", "remove", workspace, "--user", "alice:admin"], "\"alice:admin\""),
        (["sharing", "remove", workspace, "--user", "zed"], "unknown user \"zed\""),
        (["sharing", "share", workspace, "--user", "dave", "--occurred-at", "yesterday"], "\"yesterday\""),
        (["sharing", "share", workspace, "--user", "dave", "--occurred-at", "2999-01-01T00:00:00Z"], "2999-01-01"),
        (["sharing", "share", workspace, "--user", "dave", "--occurred-at", "2000-01-01T00:00:00Z"], "2000-01-01"),
        (["sharing", "status", "oncall-sre/nope"], "unknown workspace \"oncall-sre/nope\""),
        (["sharing", "status", workspace, "-o", "yaml"], "yaml"),
        (["sharing", "frobnicate", workspace], "frobnicate"),
        (["tokens", "create", "--user", "bob", "--name", "t", "--lifetime", "0h"], "greater than zero"),
        (["list", "--search", "colour:blue"], "\"colour:blue\""),
        (["list", "--search", "shared:true SHARED:false"], "\"SHARED:false\""),
        (["list", "--search", "shared:maybe"], "\"shared:maybe\""),
        (["list", "--search", ":x"], "\":x\""),
        (["list", "--search", "shared_with_user:zed"], "zed"),
        (["list", "--search", "shared_with_group:zed"], "zed"),
        (["list", "--search", "status:paused"], "\"status:paused\""),
        (["users", "create", "--username", "alice_bob"], "\"alice_bob\""),
        (["users", "create", "--username", "carol", "--role", "root"], "\"root\""),
        (["users", "suspend", "zed"], "unknown user \"zed\""),
        (["users", "set-role", "bob", "--role", "Owner"], "\"Owner\""),
        (["tokens", "create", "--user", "bob", "--name", "t", "--lifetime", "forever"], "\"forever\""),
        (["tokens", "create", "--user", "zed", "--name", "t", "--lifetime", "1h"], "unknown user \"zed\""),
        (["tokens", "revoke", "--user", "bob", "--name", "nope"], "\"nope\""),
        (["tokens", "list", "--user", "zed"], "unknown user \"zed\""),
        (["groups", "create", "sre oncall"], "\"sre oncall\""),
        (["groups", "edit", "sre-oncall", "--add-users", "zed"], "unknown user \"zed\""),
        (["groups", "edit", "sre-oncall"], "--add-users"),
        (["groups", "edit", "nope", "--add-users", "bob"], "unknown group \"nope\""),
        (["groups", "sync", "--user", "bob"], "--groups"),
        (["groups", "sync", "--user", "zed", "--groups", "sre-oncall"], "unknown user \"zed\""),
        (["create", "oncall-sre/new", "--template", "bad template"], "\"bad template\""),
        (["create", "zed/new", "--template", "t"], "unknown user \"zed\""),
        (["start", "oncall-sre/nope"], "unknown workspace \"oncall-sre/nope\""),
        (["rename", workspace, "new_name"], "\"new_name\""),
        (["delete", "oncall-sre/nope"], "unknown workspace \"oncall-sre/nope\""),
        (["audit", "log", "--workspace", "oncall-sre/nope"], "unknown workspace \"oncall-sre/nope\""),
        (["audit", "log", "--user", "zed"], "unknown user \"zed\""),
    ]

    @Test func invalidInputExits2NamingTheValueAndAppendsNothing() throws {
        let cli = try RefusedCommandCLITests.seeded()
        defer { cli.drop() }
        let before = try cli.events()
        for (arguments, expected) in RefusedCommandCLITests.invalidInputs {
            let result = try cli.run(arguments)
            let command = arguments.joined(separator: " ")
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: "), "\(command): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(command): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(command): \(result.stdout)")
        }
        #expect(try cli.events() == before)
        #expect(try cli.eventCount() == Int64(before.count))
    }

    /// (actor, arguments, the text the message must contain); every one exits 3.
    static let ruleViolations: [(String, [String], String)] = [
        ("bob", ["sharing", "share", workspace, "--user", "dave"], "may not change the sharing"),
        ("bob", ["sharing", "remove", workspace, "--user", "alice"], "may not change the sharing"),
        ("alice", ["sharing", "share", workspace, "--user", "alice:use"], "your own workspace sharing role"),
        ("alice", ["sharing", "remove", workspace, "--user", "alice"], "your own workspace sharing role"),
        ("bob", ["sharing", "remove", workspace, "--user", "bob"], "may not change the sharing"),
        ("admin", ["sharing", "share", workspace, "--user", "oncall-sre"], "owns workspace"),
        ("sam", ["start", workspace], "actor \"sam\" is suspended"),
        ("dave", ["delete", workspace], "may not delete"),
        ("alice", ["delete", workspace], "may not delete"),
        ("bob", ["rename", workspace, "renamed"], "may not rename"),
        ("dave", ["create", "bob/mine", "--template", "t"], "may not create workspaces for \"bob\""),
        ("bob", ["users", "create", "--username", "mallory"], "may not create users"),
        ("bob", ["users", "suspend", "alice"], "may not suspend users"),
        ("admin", ["users", "suspend", "admin"], "yourself"),
        ("admin", ["users", "create", "--username", "ALICE"], "already exists"),
        ("bob", ["groups", "create", "bobs"], "may not create groups"),
        ("admin", ["groups", "delete", "Everyone"], "Everyone"),
        ("admin", ["tokens", "create", "--user", "admin", "--name", "t", "--lifetime", "169h"], "at most 168h"),
        ("admin", ["tokens", "create", "--user", "bob", "--name", "t", "--lifetime", "876001h"], "too long"),
        ("bob", ["tokens", "create", "--user", "alice", "--name", "t", "--lifetime", "1h"], "alice"),
        ("admin", ["create", workspace, "--template", "t"], "already exists"),
    ]

    @Test func ruleViolationsExit3AndAppendNothing() throws {
        let cli = try RefusedCommandCLITests.seeded()
        defer { cli.drop() }
        let before = try cli.events()
        for (actor, arguments, expected) in RefusedCommandCLITests.ruleViolations {
            let result = try cli.run(arguments, as: actor)
            let command = "--as \(actor) " + arguments.joined(separator: " ")
            #expect(result.status == 3, "\(command): \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: "), "\(command): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(command): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(command): \(result.stderr)")
        }
        #expect(try cli.events() == before)
        #expect(try cli.eventCount() == Int64(before.count))
    }

    @Test func theFirstUserNeedsNoActorAndMustBeASiteOwner() throws {
        let cli = try LedgerCLI.make(bootstrap: nil)
        defer { cli.drop() }
        let member = try cli.run(["users", "create", "--username", "first", "--role", "member"])
        #expect(member.status == 3)
        #expect(member.stderr.contains("site role \"owner\""))
        #expect(try cli.eventCount() == 0)
        #expect(try cli.ok(["users", "create", "--username", "first"]) == "created user first (site role owner)\n")
        let noActor = try cli.run(["users", "create", "--username", "second"])
        #expect(noActor.status == 2)
        #expect(noActor.stderr.contains("--as"))
        #expect(try cli.events().first?["actor"] == "first")
    }

    @Test func noOpsAppendNothingAndSaySo() throws {
        let cli = try RefusedCommandCLITests.seeded()
        defer { cli.drop() }
        let count = try cli.eventCount()
        for arguments in [
            ["sharing", "share", RefusedCommandCLITests.workspace, "--user", "bob"],
            ["sharing", "remove", RefusedCommandCLITests.workspace, "--user", "dave"],
            ["start", RefusedCommandCLITests.workspace],
            ["users", "suspend", "sam"],
            ["groups", "edit", "sre-oncall", "--add-users", "dave"],
        ] {
            #expect(try cli.ok(arguments) == "nothing to change\n", "\(arguments)")
        }
        #expect(try cli.eventCount() == count)
    }

    @Test func usageErrorsExit2WithOneErrorLine() throws {
        let cli = try LedgerCLI.make()
        defer { cli.drop() }
        for arguments in [
            ["sharing", "share"], ["users", "create"], ["list", "--bogus"], ["frobnicate"],
            ["tokens", "create", "--user", "admin", "--name", "t"], ["rename", "admin/x"],
        ] {
            let result = try cli.run(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: "), "\(arguments): \(result.stderr)")
        }
        let help = try cli.run(["sharing", "share", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--occurred-at"))
        #expect(help.stdout.contains("--as"))
    }
}
