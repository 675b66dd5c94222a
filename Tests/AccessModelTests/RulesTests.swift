import Testing

@testable import AccessModel

private let hash = String(repeating: "0f", count: 32)

@Suite struct BootstrapAndActorTests {
    @Test func firstUserNeedsNoActorAndBecomesOwner() throws {
        let t = TestLedger()
        let events = try t.run(.createUser(username: "Admin", serviceAccount: false, role: nil), as: nil)
        #expect(events == [.userCreated(username: "Admin", kind: .human, role: .owner)])
        #expect(t.log[0].actor == "Admin")
        #expect(t.ledger.user(key: "admin")?.role == .owner)
    }

    @Test func firstUserMayNameAnyActorAndGiveOwnerExplicitly() throws {
        let t = TestLedger()
        try t.run(.createUser(username: "root", serviceAccount: false, role: "owner"), as: "installer")
        #expect(t.log[0].actor == "installer")
    }

    @Test func firstUserMustBeOwner() {
        let t = TestLedger()
        t.expectRefused(
            .createUser(username: "root", serviceAccount: false, role: "member"), as: nil, code: 3,
            "the first user must have site role \"owner\"")
        t.expectRefused(
            .createUser(username: "root_1", serviceAccount: false, role: nil), as: nil, code: 2,
            "invalid user name \"root_1\"")
    }

    @Test func onlyCreateUserBootstraps() {
        let t = TestLedger()
        t.expectRefused(.createGroup(name: "sre"), as: nil, code: 2, "no actor")
        t.expectRefused(.createGroup(name: "sre"), as: "root", code: 2, "unknown actor \"root\"")
    }

    @Test func afterBootstrapAnActorIsRequired() throws {
        let t = try TestLedger.bootstrapped()
        t.expectRefused(.createUser(username: "bob", serviceAccount: false, role: nil), as: nil, code: 2, "no actor")
        t.expectRefused(.createUser(username: "bob", serviceAccount: false, role: nil), as: "", code: 2, "no actor")
        t.expectRefused(
            .createUser(username: "bob", serviceAccount: false, role: nil), as: "nobody", code: 2,
            "unknown actor \"nobody\"")
        t.expectRefused(
            .createUser(username: "bob", serviceAccount: false, role: nil), as: "r_oot", code: 2,
            "invalid actor \"r_oot\"")
        // The actor is found case-insensitively and recorded as stored.
        try t.run(.createUser(username: "bob", serviceAccount: false, role: nil), as: "ROOT")
        #expect(t.log.last?.actor == "root")
    }

    @Test func suspendedAndDeletedActorsCannotAct() throws {
        let t = try TestLedger.world()
        try t.run(.suspendUser(username: "alice"), as: "root")
        t.expectRefused(
            .createWorkspace(workspace: "alice/w", template: "t"), as: "alice", code: 3,
            "actor \"alice\" is suspended: only active users can act")
        try t.run(.deleteUser(username: "dave"), as: "root")
        t.expectRefused(.createWorkspace(workspace: "dave/w", template: "t"), as: "dave", code: 3, "is deleted")
    }
}

@Suite struct UserRulesTests {
    @Test(arguments: ["root", "ua"])
    func managersMayManageUsers(_ actor: String) throws {
        let t = try TestLedger.world()
        t.expectAllowed(.createUser(username: "erin", serviceAccount: false, role: "auditor"), as: actor)
        #expect(
            t.ledger.user(key: "erin") == UserRecord(username: "erin", kind: .human, role: .auditor, status: .active))
        t.expectAllowed(.suspendUser(username: "erin"), as: actor)
        #expect(t.ledger.user(key: "erin")?.status == .suspended)
        t.expectAllowed(.activateUser(username: "erin"), as: actor)
        #expect(t.ledger.user(key: "erin")?.status == .active)
        t.expectAllowed(.setUserRole(username: "erin", role: "user-admin"), as: actor)
        #expect(t.ledger.user(key: "erin")?.role == .userAdmin)
        t.expectAllowed(.deleteUser(username: "erin"), as: actor)
        #expect(t.ledger.user(key: "erin")?.status == .deleted)
    }

    @Test(arguments: ["aud", "alice", "svc"])
    func othersMayNotManageUsers(_ actor: String) throws {
        let t = try TestLedger.world()
        let refusal = "may not"
        t.expectRefused(.createUser(username: "erin", serviceAccount: false, role: nil), as: actor, code: 3, refusal)
        t.expectRefused(.suspendUser(username: "bob"), as: actor, code: 3, "may not suspend users")
        try t.run(.suspendUser(username: "carol"), as: "root")
        t.expectRefused(.activateUser(username: "carol"), as: actor, code: 3, "may not activate users")
        t.expectRefused(.deleteUser(username: "bob"), as: actor, code: 3, "may not delete users")
        t.expectRefused(.setUserRole(username: "bob", role: "owner"), as: actor, code: 3, "may not change site roles")
    }

    @Test func userCreationRules() throws {
        let t = try TestLedger.world()
        t.expectRefused(
            .createUser(username: "ALICE", serviceAccount: false, role: nil), as: "root", code: 3,
            "user \"alice\" already exists")
        t.expectRefused(
            .createUser(username: "erin", serviceAccount: false, role: "admin"), as: "root", code: 2,
            "invalid site role \"admin\"")
        try t.run(.createUser(username: "bot", serviceAccount: true, role: nil), as: "ua")
        #expect(t.ledger.user(key: "bot")?.kind == .serviceAccount)
        #expect(t.ledger.user(key: "bot")?.role == .member)
    }

    @Test func selfManagementIsRefused() throws {
        let t = try TestLedger.world()
        t.expectRefused(.suspendUser(username: "ua"), as: "ua", code: 3, "you cannot suspend yourself")
        t.expectRefused(.deleteUser(username: "ROOT"), as: "root", code: 3, "you cannot delete yourself")
        t.expectRefused(
            .setUserRole(username: "ua", role: "owner"), as: "ua", code: 3, "you cannot change your own site role")
    }

    @Test func unknownAndDeletedTargets() throws {
        let t = try TestLedger.world()
        t.expectRefused(.suspendUser(username: "zed"), as: "root", code: 2, "unknown user \"zed\"")
        t.expectRefused(.suspendUser(username: "z_d"), as: "root", code: 2, "invalid user name \"z_d\"")
        try t.run(.deleteUser(username: "dave"), as: "root")
        t.expectRefused(.suspendUser(username: "dave"), as: "root", code: 3, "is deleted")
        t.expectRefused(.activateUser(username: "dave"), as: "root", code: 3, "is deleted")
        t.expectRefused(.setUserRole(username: "dave", role: "owner"), as: "root", code: 3, "is deleted")
    }

    @Test func ownersOfWorkspacesCannotBeDeleted() throws {
        let t = try TestLedger.world()
        t.expectRefused(
            .deleteUser(username: "svc"), as: "root", code: 3,
            "user \"svc\" owns 1 workspace: delete it before deleting the user")
        try t.run(.deleteWorkspace(workspace: "svc/ws"), as: "root")
        t.expectAllowed(.deleteUser(username: "svc"), as: "root")
    }

    @Test func noOpsAppendNothing() throws {
        let t = try TestLedger.world()
        #expect(try t.run(.activateUser(username: "alice"), as: "root").isEmpty)
        #expect(try t.run(.setUserRole(username: "alice", role: "member"), as: "root").isEmpty)
        try t.run(.suspendUser(username: "alice"), as: "root")
        #expect(try t.run(.suspendUser(username: "alice"), as: "root").isEmpty)
        try t.run(.deleteUser(username: "alice"), as: "root")
        #expect(try t.run(.deleteUser(username: "alice"), as: "root").isEmpty)
        // Permission is still checked for a no-op.
        t.expectRefused(.deleteUser(username: "alice"), as: "bob", code: 3, "may not delete users")
    }

    @Test func deletedNamesCanBeCreatedAgain() throws {
        let t = try TestLedger.world()
        try t.run(.share(workspace: "svc/ws", users: ["dave"], groups: []), as: "root")
        try t.run(.editGroup(name: "sre", addUsers: ["dave"], removeUsers: []), as: "root")
        try t.run(.deleteUser(username: "dave"), as: "root")
        try t.run(.createUser(username: "Dave", serviceAccount: false, role: nil), as: "root")
        let dave = try #require(t.ledger.user(key: "dave"))
        #expect(dave.username == "Dave")
        #expect(dave.status == .active)
        // The new Dave inherits nothing: no ACL entry, no memberships; only the old live role lingers.
        #expect(t.ledger.acl(workspaceID: 1).role(ofUser: "dave") == nil)
        #expect(t.ledger.groupKeys(ofUser: "dave").isEmpty)
        let row = try #require(try t.row("svc/ws", "dave"))
        #expect(row.role == nil)
        #expect(row.state == .pendingRevocation)
        #expect(t.log.filter { $0.stream == "user:dave" }.count == 3)
    }
}

@Suite struct TokenRulesTests {
    @Test func forYourself() throws {
        let t = try TestLedger.world()
        t.expectAllowed(.createToken(user: "alice", name: "laptop", lifetime: "720h", secretSHA256: hash), as: "alice")
        let token = try #require(t.ledger.token(userKey: "alice", nameKey: "laptop"))
        #expect(token.lifetimeSeconds == 720 * 3600)
        #expect(token.secretSHA256 == hash)
        #expect(token.expiresAt.microseconds == token.createdAt.microseconds + 720 * 3600 * 1_000_000)
        #expect(t.log.last?.stream == "token:alice/laptop")
        t.expectAllowed(.revokeToken(user: "alice", name: "LAPTOP"), as: "alice")
        #expect(t.ledger.token(userKey: "alice", nameKey: "laptop")?.isRevoked == true)
        #expect(try t.run(.revokeToken(user: "alice", name: "laptop"), as: "alice").isEmpty)
        // A revoked token's name can be used again.
        t.expectAllowed(.createToken(user: "alice", name: "laptop", lifetime: "1h", secretSHA256: hash), as: "alice")
    }

    @Test(arguments: ["root", "ua"])
    func managersForOthers(_ actor: String) throws {
        let t = try TestLedger.world()
        t.expectAllowed(
            .createToken(user: "svc", name: "automation", lifetime: "8760h", secretSHA256: hash), as: actor)
        t.expectAllowed(.revokeToken(user: "svc", name: "automation"), as: actor)
    }

    @Test(arguments: ["alice", "aud"])
    func othersNotForOthers(_ actor: String) throws {
        let t = try TestLedger.world()
        t.expectRefused(
            .createToken(user: "svc", name: "automation", lifetime: "8760h", secretSHA256: hash), as: actor, code: 3,
            "may not create tokens of user \"svc\"")
        try t.run(.createToken(user: "svc", name: "automation", lifetime: "1h", secretSHA256: hash), as: "root")
        t.expectRefused(.revokeToken(user: "svc", name: "automation"), as: actor, code: 3, "may not revoke tokens")
    }

    @Test func lifetimeLimits() throws {
        let t = try TestLedger.world()
        func create(_ user: String, _ name: String, _ lifetime: String) -> Command {
            .createToken(user: user, name: name, lifetime: lifetime, secretSHA256: hash)
        }
        t.expectRefused(create("alice", "a", "0h"), as: "alice", code: 2, "must be greater than zero")
        t.expectRefused(create("alice", "a", "-5h"), as: "alice", code: 2, "must be greater than zero")
        t.expectRefused(create("alice", "a", "876001h"), as: "alice", code: 3, "is too long: at most 876000h")
        t.expectRefused(create("alice", "a", "8760"), as: "alice", code: 2, "invalid lifetime \"8760\"")
        t.expectAllowed(create("alice", "a", "876000h"), as: "alice")
        t.expectAllowed(create("alice", "b", "1s"), as: "alice")
        // For a site owner: at most 168h.
        t.expectRefused(
            create("root", "c", "169h"), as: "root", code: 3, "too long for \"root\", a site owner: at most 168h")
        t.expectAllowed(create("root", "c", "168h"), as: "root")
        t.expectRefused(create("alice", "a", "1h"), as: "alice", code: 3, "already has a token named \"a\"")
        t.expectRefused(create("alice", "a_b", "1h"), as: "alice", code: 2, "invalid token name \"a_b\"")
        t.expectRefused(
            .createToken(user: "alice", name: "z", lifetime: "1h", secretSHA256: "secret"), as: "alice", code: 2,
            "invalid secret hash")
        t.expectRefused(.revokeToken(user: "alice", name: "zz"), as: "alice", code: 2, "unknown token \"zz\"")
    }

    @Test func onlyForActiveUsersAndRevokedOnDelete() throws {
        let t = try TestLedger.world()
        try t.run(.createToken(user: "dave", name: "t1", lifetime: "1h", secretSHA256: hash), as: "root")
        try t.run(.suspendUser(username: "dave"), as: "root")
        t.expectRefused(
            .createToken(user: "dave", name: "t2", lifetime: "1h", secretSHA256: hash), as: "root", code: 3,
            "tokens are created only for active users")
        try t.run(.deleteUser(username: "dave"), as: "root")
        #expect(t.ledger.token(userKey: "dave", nameKey: "t1")?.revokedAt == t.now)
    }
}

@Suite struct GroupRulesTests {
    @Test(arguments: ["root", "ua"])
    func managersManageGroups(_ actor: String) throws {
        let t = try TestLedger.world()
        t.expectAllowed(.createGroup(name: "Ops"), as: actor)
        #expect(t.ledger.group(key: "ops") == GroupRecord(name: "Ops", source: .manual))
        t.expectAllowed(.editGroup(name: "ops", addUsers: ["alice,bob"], removeUsers: []), as: actor)
        #expect(t.ledger.memberKeys(ofGroup: "ops") == ["alice", "bob"])
        t.expectAllowed(.editGroup(name: "ops", addUsers: [], removeUsers: ["bob"]), as: actor)
        #expect(t.ledger.memberKeys(ofGroup: "ops") == ["alice"])
        t.expectAllowed(.syncGroups(user: "carol", groups: ["ops"], createMissing: false), as: actor)
        #expect(t.ledger.groupKeys(ofUser: "carol") == ["ops"])
        t.expectAllowed(.deleteGroup(name: "ops"), as: actor)
        #expect(t.ledger.group(key: "ops")?.isDeleted == true)
        #expect(t.ledger.memberKeys(ofGroup: "ops").isEmpty)
    }

    @Test(arguments: ["aud", "alice"])
    func othersDoNot(_ actor: String) throws {
        let t = try TestLedger.world()
        t.expectRefused(.createGroup(name: "ops"), as: actor, code: 3, "may not create groups")
        t.expectRefused(
            .editGroup(name: "sre", addUsers: ["alice"], removeUsers: []), as: actor, code: 3, "may not edit groups")
        t.expectRefused(.deleteGroup(name: "sre"), as: actor, code: 3, "may not delete groups")
        t.expectRefused(
            .syncGroups(user: actor, groups: ["sre"], createMissing: false), as: actor, code: 3,
            "may not record group syncs")
    }

    @Test func groupRules() throws {
        let t = try TestLedger.world()
        t.expectRefused(.createGroup(name: "SRE"), as: "root", code: 3, "group \"sre\" already exists")
        t.expectRefused(.createGroup(name: "everyone"), as: "root", code: 3, "is built in")
        t.expectRefused(
            .editGroup(name: "Everyone", addUsers: ["alice"], removeUsers: []), as: "root", code: 3, "cannot be edited")
        t.expectRefused(.deleteGroup(name: "Everyone"), as: "root", code: 3, "cannot be deleted")
        t.expectRefused(
            .editGroup(name: "nope", addUsers: ["alice"], removeUsers: []), as: "root", code: 2,
            "unknown group \"nope\"")
        t.expectRefused(
            .editGroup(name: "sre", addUsers: ["zed"], removeUsers: []), as: "root", code: 2, "unknown user \"zed\"")
        t.expectRefused(
            .editGroup(name: "sre", addUsers: [], removeUsers: []), as: "root", code: 2, "nothing to change")
        t.expectRefused(
            .editGroup(name: "sre", addUsers: ["alice"], removeUsers: ["ALICE"]), as: "root", code: 2,
            "is both added and removed")
        t.expectRefused(
            .editGroup(name: "sre", addUsers: ["alice,alice"], removeUsers: []), as: "root", code: 2,
            "listed more than once")
        try t.run(.deleteUser(username: "dave"), as: "root")
        t.expectRefused(
            .editGroup(name: "sre", addUsers: ["dave"], removeUsers: []), as: "root", code: 3,
            "user \"dave\" is deleted and cannot be added")
        // Adding a member twice, removing a non-member: nothing to record.
        #expect(try t.run(.editGroup(name: "sre", addUsers: ["bob"], removeUsers: ["alice"]), as: "root").isEmpty)
        // Deleted groups: no edits; delete again is a no-op; the name can be created again.
        try t.run(.deleteGroup(name: "sre"), as: "root")
        t.expectRefused(
            .editGroup(name: "sre", addUsers: ["alice"], removeUsers: []), as: "root", code: 3, "is deleted")
        #expect(try t.run(.deleteGroup(name: "sre"), as: "root").isEmpty)
        t.expectAllowed(.createGroup(name: "sre"), as: "root")
        #expect(t.ledger.memberKeys(ofGroup: "sre").isEmpty)
    }

    @Test func syncMakesMembershipsExactlyTheClaim() throws {
        let t = try TestLedger.world()
        try t.run(.createGroup(name: "ops"), as: "root")
        try t.run(.createGroup(name: "Dev"), as: "root")
        try t.run(.editGroup(name: "dev", addUsers: ["bob"], removeUsers: []), as: "root")
        // bob: manual sre, dev. Claimed: ops, Everyone, unknown.
        let events = try t.run(
            .syncGroups(user: "bob", groups: ["ops,Everyone", "Unknown-1"], createMissing: false), as: "ua")
        #expect(
            events == [
                .groupSynced(
                    GroupSync(
                        username: "bob", claimed: ["ops", "Everyone", "Unknown-1"], added: ["ops"],
                        removed: ["Dev", "sre"], ignored: ["Unknown-1"], created: []))
            ])
        #expect(t.ledger.groupKeys(ofUser: "bob") == ["ops"])
        #expect(t.ledger.group(key: "unknown-1") == nil)
        // Same claim again: recorded, changes nothing.
        let again = try t.run(.syncGroups(user: "bob", groups: ["ops"], createMissing: false), as: "ua")
        #expect(again == [.groupSynced(GroupSync(username: "bob", claimed: ["ops"], added: [], removed: []))])
        // Create missing: group_created (idp) first, then the sync.
        let created = try t.run(.syncGroups(user: "bob", groups: ["ops,New-Team"], createMissing: true), as: "ua")
        #expect(
            created == [
                .groupCreated(name: "New-Team", source: .idp),
                .groupSynced(
                    GroupSync(
                        username: "bob", claimed: ["ops", "New-Team"], added: ["New-Team"], removed: [], ignored: [],
                        created: ["New-Team"])),
            ])
        #expect(t.ledger.group(key: "new-team")?.source == .idp)
        #expect(t.ledger.groupKeys(ofUser: "bob") == ["new-team", "ops"])
        // Empty claim: only Everyone remains.
        try t.run(.syncGroups(user: "bob", groups: [""], createMissing: false), as: "ua")
        #expect(t.ledger.groupKeys(ofUser: "bob").isEmpty)
    }

    @Test func syncRefusals() throws {
        let t = try TestLedger.world()
        t.expectRefused(
            .syncGroups(user: "zed", groups: ["sre"], createMissing: false), as: "root", code: 2, "unknown user")
        t.expectRefused(
            .syncGroups(user: "bob", groups: ["s_re"], createMissing: false), as: "root", code: 2,
            "invalid group name \"s_re\"")
        try t.run(.suspendUser(username: "bob"), as: "root")
        t.expectRefused(
            .syncGroups(user: "bob", groups: ["sre"], createMissing: false), as: "root", code: 3,
            "only active users log in")
    }
}

@Suite struct WorkspaceRulesTests {
    @Test func createForYourselfOrAsSiteOwner() throws {
        let t = try TestLedger.world()
        t.expectAllowed(.createWorkspace(workspace: "alice/dev", template: "base"), as: "alice")
        t.expectAllowed(.createWorkspace(workspace: "bob/dev", template: "base"), as: "root")
        t.expectRefused(
            .createWorkspace(workspace: "bob/dev2", template: "base"), as: "alice", code: 3,
            "only a site owner may create workspaces for others")
        t.expectRefused(
            .createWorkspace(workspace: "bob/dev2", template: "base"), as: "ua", code: 3,
            "only a site owner may create workspaces for others")
        t.expectRefused(
            .createWorkspace(workspace: "ALICE/Dev", template: "base"), as: "alice", code: 3,
            "workspace \"alice/dev\" already exists")
        t.expectRefused(
            .createWorkspace(workspace: "zed/dev", template: "base"), as: "root", code: 2, "unknown user \"zed\"")
        t.expectRefused(
            .createWorkspace(workspace: "alice/x", template: "b_ad"), as: "alice", code: 2, "invalid template name")
        t.expectRefused(
            .createWorkspace(workspace: "alice", template: "base"), as: "alice", code: 2, "expected OWNER/NAME")
        let ws = try t.workspace("alice/dev")
        #expect(ws.status == .running)
        #expect(ws.id == 2)
        #expect(ws.template == "base")
    }

    @Test func idsAreNeverReused() throws {
        let t = try TestLedger.world()
        try t.run(.deleteWorkspace(workspace: "svc/ws"), as: "root")
        try t.run(.createWorkspace(workspace: "svc/ws", template: "oncall"), as: "root")
        #expect(try t.workspace("svc/ws").id == 2)
        #expect(t.ledger.workspace(id: 1)?.status == .deleted)
    }

    /// A world where alice has `admin` directly and bob (via `sre`) has `use` on svc/ws.
    static func shared() throws -> TestLedger {
        let t = try TestLedger.world()
        try t.run(.share(workspace: "svc/ws", users: ["alice:admin"], groups: ["sre"]), as: "root")
        return t
    }

    @Test(arguments: ["svc", "root", "alice"])
    func sharingAllowed(_ actor: String) throws {
        let t = try Self.shared()
        t.expectAllowed(.share(workspace: "svc/ws", users: ["dave:admin"], groups: []), as: actor)
        t.expectAllowed(.unshare(workspace: "svc/ws", users: ["dave"], groups: []), as: actor)
    }

    @Test func adminThroughAGroupMayShare() throws {
        let t = try Self.shared()
        try t.run(.share(workspace: "svc/ws", users: [], groups: ["sre:admin"]), as: "root")
        t.expectAllowed(.share(workspace: "svc/ws", users: ["dave:admin"], groups: []), as: "bob")
    }

    @Test(arguments: ["bob", "dave", "ua", "aud"])
    func sharingRefused(_ actor: String) throws {
        let t = try Self.shared()
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["carol:use"], groups: []), as: actor, code: 3,
            "may not change the sharing of workspace \"svc/ws\"")
        t.expectRefused(
            .unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: actor, code: 3,
            "may not change the sharing of workspace \"svc/ws\"")
    }

    @Test(arguments: ["svc", "root", "alice", "bob"])
    func operateAllowed(_ actor: String) throws {
        let t = try Self.shared()
        t.expectAllowed(.stopWorkspace(workspace: "svc/ws"), as: actor)
        t.expectAllowed(.startWorkspace(workspace: "svc/ws"), as: actor)
        t.expectAllowed(.restartWorkspace(workspace: "svc/ws"), as: actor)
    }

    @Test(arguments: ["dave", "ua", "aud"])
    func operateRefused(_ actor: String) throws {
        let t = try Self.shared()
        for (command, verb) in [
            (Command.stopWorkspace(workspace: "svc/ws"), "stop"), (.startWorkspace(workspace: "svc/ws"), "start"),
            (.restartWorkspace(workspace: "svc/ws"), "restart"),
        ] {
            t.expectRefused(command, as: actor, code: 3, "may not \(verb) workspace \"svc/ws\"")
        }
    }

    @Test(arguments: ["svc", "root", "alice"])
    func renameAllowed(_ actor: String) throws {
        let t = try Self.shared()
        t.expectAllowed(.renameWorkspace(workspace: "svc/ws", newName: "renamed"), as: actor)
        #expect(try t.workspace("svc/renamed").id == 1)
        #expect(throws: Refusal.self) { try t.workspace("svc/ws") }
    }

    @Test(arguments: ["bob", "dave", "ua"])
    func renameRefused(_ actor: String) throws {
        let t = try Self.shared()
        t.expectRefused(.renameWorkspace(workspace: "svc/ws", newName: "x"), as: actor, code: 3, "may not rename")
    }

    @Test(arguments: ["svc", "root"])
    func deleteAllowed(_ actor: String) throws {
        let t = try Self.shared()
        t.expectAllowed(.deleteWorkspace(workspace: "svc/ws"), as: actor)
        #expect(t.ledger.workspace(id: 1)?.status == .deleted)
        #expect(t.ledger.acl(workspaceID: 1).isEmpty)
        #expect(t.ledger.accessRows(workspaceID: 1).isEmpty)
        t.expectRefused(.startWorkspace(workspace: "svc/ws"), as: "root", code: 2, "unknown workspace \"svc/ws\"")
    }

    @Test(arguments: ["alice", "bob", "ua"])
    func deleteRefused(_ actor: String) throws {
        let t = try Self.shared()
        t.expectRefused(
            .deleteWorkspace(workspace: "svc/ws"), as: actor, code: 3, "only its owner or a site owner may")
    }

    @Test func renameRules() throws {
        let t = try Self.shared()
        try t.run(.createWorkspace(workspace: "svc/other", template: "t"), as: "root")
        t.expectRefused(
            .renameWorkspace(workspace: "svc/ws", newName: "OTHER"), as: "root", code: 3, "\"svc/other\" already exists"
        )
        t.expectRefused(
            .renameWorkspace(workspace: "svc/ws", newName: "a b"), as: "root", code: 2, "invalid workspace name")
        #expect(try t.run(.renameWorkspace(workspace: "svc/ws", newName: "ws"), as: "root").isEmpty)
        // A change of case is a rename.
        #expect(try t.run(.renameWorkspace(workspace: "svc/ws", newName: "WS"), as: "root").count == 1)
        // The old name is free for a new workspace after a rename.
        try t.run(.renameWorkspace(workspace: "svc/ws", newName: "moved"), as: "root")
        t.expectAllowed(.createWorkspace(workspace: "svc/ws", template: "t"), as: "root")
    }

    @Test func startStopNoOpsAndRestartAlwaysAppends() throws {
        let t = try Self.shared()
        #expect(try t.run(.startWorkspace(workspace: "svc/ws"), as: "bob").isEmpty)
        #expect(try t.run(.restartWorkspace(workspace: "svc/ws"), as: "bob").count == 1)
        try t.run(.stopWorkspace(workspace: "svc/ws"), as: "bob")
        #expect(try t.run(.stopWorkspace(workspace: "svc/ws"), as: "bob").isEmpty)
        #expect(try t.run(.restartWorkspace(workspace: "svc/ws"), as: "bob").count == 1)
        #expect(try t.workspace("svc/ws").status == .running)
    }
}

@Suite struct SharingRulesTests {
    @Test func cannotChangeOwnEntryUnlessSiteOwner() throws {
        let t = try WorkspaceRulesTests.shared()
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["alice:use"], groups: []), as: "alice", code: 3,
            "you cannot change your own workspace sharing role")
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["alice:admin"], groups: []), as: "alice", code: 3,
            "you cannot change your own workspace sharing role")
        t.expectRefused(
            .unshare(workspace: "svc/ws", users: ["Alice"], groups: []), as: "alice", code: 3,
            "you cannot change your own workspace sharing role")
        // The owner cannot add themself either.
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["svc"], groups: []), as: "svc", code: 3,
            "you cannot change your own workspace sharing role")
        // A site owner may change their own entry.
        t.expectAllowed(.share(workspace: "svc/ws", users: ["root:use"], groups: []), as: "root")
        t.expectAllowed(.unshare(workspace: "svc/ws", users: ["root"], groups: []), as: "root")
        // Sharing with a group one belongs to is not one's own entry.
        try t.run(.editGroup(name: "sre", addUsers: ["alice"], removeUsers: []), as: "root")
        t.expectAllowed(.share(workspace: "svc/ws", users: [], groups: ["sre:admin"]), as: "alice")
    }

    @Test func ownerCannotBeInTheACL() throws {
        let t = try WorkspaceRulesTests.shared()
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["SVC:admin"], groups: []), as: "root", code: 3,
            "user \"svc\" owns workspace \"svc/ws\" and cannot be added to its ACL")
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["svc"], groups: []), as: "alice", code: 3, "owns workspace")
    }

    @Test func deletedUsersAndGroupsCannotBeAdded() throws {
        let t = try WorkspaceRulesTests.shared()
        try t.run(.deleteUser(username: "dave"), as: "root")
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["dave"], groups: []), as: "root", code: 3,
            "user \"dave\" is deleted and cannot be added")
        try t.run(.createGroup(name: "gone"), as: "root")
        try t.run(.deleteGroup(name: "gone"), as: "root")
        t.expectRefused(
            .share(workspace: "svc/ws", users: [], groups: ["gone"]), as: "root", code: 3,
            "group \"gone\" is deleted and cannot be added")
        // Suspended users can be added (as in Coder); they get no access while suspended.
        try t.run(.suspendUser(username: "carol"), as: "root")
        t.expectAllowed(.share(workspace: "svc/ws", users: ["carol"], groups: []), as: "root")
        #expect(try t.row("svc/ws", "carol")?.role == nil)
    }

    @Test func inputErrors() throws {
        let t = try WorkspaceRulesTests.shared()
        t.expectRefused(
            .share(workspace: "svc/ws", users: [], groups: []), as: "root", code: 2,
            "at least one user or group must be provided")
        t.expectRefused(
            .unshare(workspace: "svc/ws", users: [""], groups: []), as: "root", code: 2,
            "invalid user entry \"\": a name is required")
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["alice_bob:admin"], groups: []), as: "root", code: 2,
            "invalid user entry \"alice_bob:admin\"")
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["alice:owner"], groups: []), as: "root", code: 2,
            "invalid user entry \"alice:owner\"")
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["zed"], groups: []), as: "root", code: 2, "unknown user \"zed\"")
        t.expectRefused(
            .share(workspace: "svc/ws", users: [], groups: ["nope:admin"]), as: "root", code: 2,
            "unknown group \"nope\"")
        t.expectRefused(
            .share(workspace: "svc/nope", users: ["bob"], groups: []), as: "root", code: 2,
            "unknown workspace \"svc/nope\"")
        t.expectRefused(
            .share(workspace: "svc/ws", users: ["bob", "BOB:admin"], groups: []), as: "root", code: 2,
            "user \"BOB\" is listed more than once")
    }

    @Test func onlyChangesAreRecorded() throws {
        let t = try WorkspaceRulesTests.shared()
        #expect(try t.run(.share(workspace: "svc/ws", users: ["alice:admin"], groups: ["sre:use"]), as: "root").isEmpty)
        let events = try t.run(
            .share(workspace: "svc/ws", users: ["ALICE:admin,dave"], groups: ["sre:admin"]), as: "root")
        #expect(
            events == [
                .workspaceShared(
                    WorkspaceIdentity(id: 1, owner: "svc", name: "ws"), users: [ShareEntry(name: "dave", role: .use)],
                    groups: [ShareEntry(name: "sre", role: .admin)])
            ])
        #expect(try t.run(.unshare(workspace: "svc/ws", users: ["carol"], groups: ["Everyone"]), as: "root").isEmpty)
        let removed = try t.run(.unshare(workspace: "svc/ws", users: ["carol", "DAVE"], groups: ["SRE"]), as: "root")
        #expect(
            removed == [
                .workspaceUnshared(WorkspaceIdentity(id: 1, owner: "svc", name: "ws"), users: ["dave"], groups: ["sre"])
            ])
    }

    @Test func anEffectiveAdminMayGrantAdmin() throws {
        let t = try WorkspaceRulesTests.shared()
        t.expectAllowed(.share(workspace: "svc/ws", users: ["dave:admin"], groups: []), as: "alice")
        #expect(try t.row("svc/ws", "dave")?.role == .admin)
    }

    @Test func rotate() throws {
        let t = try WorkspaceRulesTests.shared()
        let identity = WorkspaceIdentity(id: 1, owner: "svc", name: "ws")
        let events = try t.run(
            .rotate(workspace: "svc/ws", outgoing: "alice", incoming: "dave:admin", restart: true), as: "root")
        #expect(
            events == [
                .workspaceUnshared(identity, users: ["alice"], groups: []),
                .workspaceShared(identity, users: [ShareEntry(name: "dave", role: .admin)], groups: []),
                .workspaceRestarted(identity),
            ])
        #expect(try t.row("svc/ws", "alice") == nil)
        #expect(try t.status("svc/ws").restartRequired == false)
        // Without restart the outgoing user is pending.
        try t.run(.rotate(workspace: "svc/ws", outgoing: "dave", incoming: "carol", restart: false), as: "root")
        #expect(try t.row("svc/ws", "dave")?.state == .pendingRevocation)
        t.expectRefused(
            .rotate(workspace: "svc/ws", outgoing: "carol", incoming: "CAROL", restart: true), as: "root", code: 2,
            "both rotated out and in")
        t.expectRefused(
            .rotate(workspace: "svc/ws", outgoing: "carol", incoming: "dave", restart: true), as: "bob", code: 3,
            "may not change the sharing")
        // A stopped workspace is not started by a rotation.
        try t.run(.stopWorkspace(workspace: "svc/ws"), as: "root")
        let stopped = try t.run(
            .rotate(workspace: "svc/ws", outgoing: "carol", incoming: "dave", restart: true), as: "root")
        #expect(stopped.count == 2)
        #expect(try t.workspace("svc/ws").status == .stopped)
    }
}

@Suite("Syntax is checked before the actor")
struct SyntaxFirstTests {
    @Test(arguments: [nil, "ghost", "bad actor"])
    func aMalformedEntryIsNamedWhateverTheActor(actor: String?) throws {
        let ledger = InMemoryLedger()
        _ = try Rules.decide(
            .createUser(username: "admin", serviceAccount: false, role: nil), actor: nil, reader: ledger)
        for event in try Rules.decide(
            .createUser(username: "admin", serviceAccount: false, role: nil), actor: nil, reader: ledger
        ).events {
            try Projection.apply(event, position: 1, occurredAt: Timestamp(microseconds: 0), to: ledger)
        }
        do {
            _ = try Rules.decide(
                .share(workspace: "svc/ws", users: ["alice_bob:admin"], groups: []), actor: actor, reader: ledger)
            Issue.record("a malformed entry was accepted")
        } catch let refusal as Refusal {
            #expect(refusal.exitCode == 2)
            #expect(refusal.message.contains("\"alice_bob:admin\""), "\(refusal.message)")
        }
    }
}
