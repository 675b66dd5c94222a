import Testing

@testable import AccessModel

/// Effective access, live roles and pending revocation (SPEC §3).
@Suite struct AccessTests {
    /// svc/ws running; alice `admin` directly; sre (bob, carol) `use`.
    func shared() throws -> TestLedger { try WorkspaceRulesTests.shared() }

    func expectRow(
        _ t: TestLedger, _ user: String, role: WorkspaceRole?, live: WorkspaceRole?, via: [String],
        state: AccessState, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let row = try t.row("svc/ws", user)
        #expect(row?.role == role, sourceLocation: sourceLocation)
        #expect(row?.liveRole == live, sourceLocation: sourceLocation)
        #expect(row?.via == via, sourceLocation: sourceLocation)
        #expect(row?.state == state, sourceLocation: sourceLocation)
        #expect(row != nil, sourceLocation: sourceLocation)
    }

    func expectPending(_ t: TestLedger, _ user: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let row = try t.row("svc/ws", user)
        #expect(row?.state == .pendingRevocation, sourceLocation: sourceLocation)
        #expect(try t.status("svc/ws").restartRequired, sourceLocation: sourceLocation)
    }

    @Test func sharingGivesEffectiveAndLiveRoles() throws {
        let t = try shared()
        try expectRow(t, "alice", role: .admin, live: .admin, via: ["user"], state: .active)
        try expectRow(t, "bob", role: .use, live: .use, via: ["group:sre"], state: .active)
        #expect(try t.row("svc/ws", "dave") == nil)
        #expect(try t.row("svc/ws", "svc") == nil)
        #expect(try t.status("svc/ws").restartRequired == false)
    }

    @Test func viaListsUserFirstThenGroupsByName() throws {
        let t = try shared()
        try t.run(.createGroup(name: "B-team"), as: "root")
        try t.run(.createGroup(name: "a-team"), as: "root")
        try t.run(.editGroup(name: "b-team", addUsers: ["bob"], removeUsers: []), as: "root")
        try t.run(.editGroup(name: "A-TEAM", addUsers: ["bob"], removeUsers: []), as: "root")
        try t.run(
            .share(workspace: "svc/ws", users: ["bob"], groups: ["b-team:admin,a-team,Everyone"]), as: "root")
        try expectRow(
            t, "bob", role: .admin, live: .admin,
            via: ["user", "group:a-team", "group:B-team", "group:Everyone", "group:sre"], state: .active)
    }

    // MARK: Every cause of pending revocation

    @Test func removedFromTheACL() throws {
        let t = try shared()
        try t.run(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: "root")
        try expectRow(t, "alice", role: nil, live: .admin, via: [], state: .pendingRevocation)
        try expectPending(t, "alice")
    }

    @Test func groupUnshared() throws {
        let t = try shared()
        try t.run(.unshare(workspace: "svc/ws", users: [], groups: ["sre"]), as: "root")
        try expectRow(t, "bob", role: nil, live: .use, via: [], state: .pendingRevocation)
        try expectRow(t, "carol", role: nil, live: .use, via: [], state: .pendingRevocation)
    }

    @Test func downgradeFromAdminToUse() throws {
        let t = try shared()
        try t.run(.share(workspace: "svc/ws", users: ["alice:use"], groups: []), as: "root")
        try expectRow(t, "alice", role: .use, live: .admin, via: ["user"], state: .pendingRevocation)
        // A downgraded admin keeps use: they may still start and stop, but not share.
        t.expectRefused(.share(workspace: "svc/ws", users: ["dave"], groups: []), as: "alice", code: 3, "may not")
        t.expectAllowed(.stopWorkspace(workspace: "svc/ws"), as: "alice")
    }

    @Test func leavingAGroupByEdit() throws {
        let t = try shared()
        try t.run(.editGroup(name: "sre", addUsers: [], removeUsers: ["bob"]), as: "root")
        try expectRow(t, "bob", role: nil, live: .use, via: [], state: .pendingRevocation)
        try expectRow(t, "carol", role: .use, live: .use, via: ["group:sre"], state: .active)
    }

    @Test func leavingAGroupBySync() throws {
        let t = try shared()
        try t.run(.syncGroups(user: "carol", groups: [], createMissing: false), as: "root")
        try expectRow(t, "carol", role: nil, live: .use, via: [], state: .pendingRevocation)
        // Joining by sync grants at once.
        try t.run(.syncGroups(user: "dave", groups: ["sre"], createMissing: false), as: "root")
        try expectRow(t, "dave", role: .use, live: .use, via: ["group:sre"], state: .active)
    }

    @Test func userSuspended() throws {
        let t = try shared()
        try t.run(.suspendUser(username: "alice"), as: "root")
        try expectRow(t, "alice", role: nil, live: .admin, via: [], state: .pendingRevocation)
        // Activation before a restart: back to active (the live role never dropped).
        try t.run(.activateUser(username: "alice"), as: "root")
        try expectRow(t, "alice", role: .admin, live: .admin, via: ["user"], state: .active)
        // Suspended across a restart: the row goes, and comes back on activation.
        try t.run(.suspendUser(username: "bob"), as: "root")
        try t.run(.restartWorkspace(workspace: "svc/ws"), as: "root")
        #expect(try t.row("svc/ws", "bob") == nil)
        try t.run(.activateUser(username: "bob"), as: "root")
        try expectRow(t, "bob", role: .use, live: .use, via: ["group:sre"], state: .active)
    }

    @Test func userDeleted() throws {
        let t = try shared()
        try t.run(.deleteUser(username: "alice"), as: "root")
        try expectRow(t, "alice", role: nil, live: .admin, via: [], state: .pendingRevocation)
        #expect(t.ledger.acl(workspaceID: 1).role(ofUser: "alice") == nil)
        try t.run(.deleteUser(username: "bob"), as: "root")
        try expectRow(t, "bob", role: nil, live: .use, via: [], state: .pendingRevocation)
        #expect(!t.ledger.memberKeys(ofGroup: "sre").contains("bob"))
    }

    @Test func groupDeleted() throws {
        let t = try shared()
        try t.run(.deleteGroup(name: "sre"), as: "root")
        try expectRow(t, "bob", role: nil, live: .use, via: [], state: .pendingRevocation)
        try expectRow(t, "carol", role: nil, live: .use, via: [], state: .pendingRevocation)
        #expect(t.ledger.acl(workspaceID: 1).groups.isEmpty)
        #expect(t.ledger.workspaceIDs(sharedWithGroup: "sre").isEmpty)
    }

    @Test func groupStillGivingARoleIsNotPending() throws {
        let t = try shared()
        try t.run(.share(workspace: "svc/ws", users: ["bob:use"], groups: []), as: "root")
        try t.run(.unshare(workspace: "svc/ws", users: [], groups: ["sre"]), as: "root")
        try expectRow(t, "bob", role: .use, live: .use, via: ["user"], state: .active)
    }

    // MARK: Start, stop, restart

    @Test func removalWhileStoppedIsImmediate() throws {
        let t = try shared()
        try t.run(.stopWorkspace(workspace: "svc/ws"), as: "root")
        try expectRow(t, "alice", role: .admin, live: nil, via: ["user"], state: .active)
        try t.run(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: "root")
        #expect(try t.row("svc/ws", "alice") == nil)
        try t.run(.editGroup(name: "sre", addUsers: [], removeUsers: ["bob"]), as: "root")
        #expect(try t.row("svc/ws", "bob") == nil)
        #expect(try t.status("svc/ws").restartRequired == false)
        // Starting gives live roles = effective roles again.
        try t.run(.startWorkspace(workspace: "svc/ws"), as: "root")
        try expectRow(t, "carol", role: .use, live: .use, via: ["group:sre"], state: .active)
        #expect(try t.row("svc/ws", "alice") == nil)
    }

    @Test func restartEndsPendingRevocation() throws {
        let t = try shared()
        try t.run(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: "root")
        try t.run(.share(workspace: "svc/ws", users: [], groups: ["sre:admin"]), as: "root")
        try t.run(.share(workspace: "svc/ws", users: [], groups: ["sre:use"]), as: "root")
        try expectRow(t, "bob", role: .use, live: .admin, via: ["group:sre"], state: .pendingRevocation)
        try t.run(.restartWorkspace(workspace: "svc/ws"), as: "root")
        #expect(try t.row("svc/ws", "alice") == nil)
        try expectRow(t, "bob", role: .use, live: .use, via: ["group:sre"], state: .active)
        #expect(try t.status("svc/ws").restartRequired == false)
    }

    @Test func stopClearsLiveRolesAndEndsPending() throws {
        let t = try shared()
        try t.run(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: "root")
        try t.run(.stopWorkspace(workspace: "svc/ws"), as: "bob")
        #expect(try t.row("svc/ws", "alice") == nil)
        for row in t.ledger.accessRows(workspaceID: 1) {
            #expect(row.liveRole == nil)
            #expect(row.state == .active)
        }
        let status = try t.status("svc/ws")
        #expect(status.status == .stopped)
        #expect(status.access.map(\.username) == ["bob", "carol"])
    }

    @Test func liveRoleIsTheHighestSinceTheLastStart() throws {
        let t = try shared()
        try t.run(.share(workspace: "svc/ws", users: ["dave:use"], groups: []), as: "root")
        try t.run(.share(workspace: "svc/ws", users: ["dave:admin"], groups: []), as: "root")
        try t.run(.share(workspace: "svc/ws", users: ["dave:use"], groups: []), as: "root")
        try expectRow(t, "dave", role: .use, live: .admin, via: ["user"], state: .pendingRevocation)
        try t.run(.stopWorkspace(workspace: "svc/ws"), as: "root")
        try t.run(.share(workspace: "svc/ws", users: ["dave:admin"], groups: []), as: "root")
        try t.run(.share(workspace: "svc/ws", users: ["dave:use"], groups: []), as: "root")
        try t.run(.startWorkspace(workspace: "svc/ws"), as: "root")
        // Held admin only while stopped: not live.
        try expectRow(t, "dave", role: .use, live: .use, via: ["user"], state: .active)
    }

    @Test func workspaceDeletedEndsEverything() throws {
        let t = try shared()
        try t.run(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: "root")
        try t.run(.deleteWorkspace(workspace: "svc/ws"), as: "root")
        #expect(t.ledger.accessRows(workspaceID: 1).isEmpty)
        #expect(t.ledger.accessRows(userKey: "alice").isEmpty)
        #expect(t.ledger.workspaceIDs(sharedWithGroup: "sre").isEmpty)
    }

    @Test func renameKeepsAccess() throws {
        let t = try shared()
        try t.run(.renameWorkspace(workspace: "svc/ws", newName: "oncall"), as: "alice")
        #expect(try t.status("svc/oncall").access.count == 3)
        #expect(try t.status("svc/oncall").workspace == "svc/oncall")
    }

    // MARK: Everyone

    @Test func everyoneContainsEveryActiveUserExceptTheOwner() throws {
        let t = try shared()
        try t.run(.share(workspace: "svc/ws", users: [], groups: ["everyone"]), as: "alice")
        #expect(t.ledger.acl(workspaceID: 1).groups.map(\.name) == ["Everyone", "sre"])
        let users = Set(t.ledger.accessRows(workspaceID: 1).map(\.userKey))
        #expect(users == ["root", "ua", "aud", "alice", "bob", "carol", "dave"])
        try expectRow(t, "dave", role: .use, live: .use, via: ["group:Everyone"], state: .active)
        // A new user is in Everyone at once; a suspended one is not.
        try t.run(.createUser(username: "erin", serviceAccount: false, role: nil), as: "root")
        try expectRow(t, "erin", role: .use, live: .use, via: ["group:Everyone"], state: .active)
        try t.run(.suspendUser(username: "dave"), as: "root")
        try expectPending(t, "dave")
        let everyone = try #require(try t.status("svc/ws").groups.first { $0.name == "Everyone" })
        #expect(everyone.memberCount == 8)  // 9 users, dave suspended
        // Unsharing Everyone: pending for those it alone gave access to.
        try t.run(.unshare(workspace: "svc/ws", users: [], groups: ["Everyone"]), as: "root")
        try expectRow(t, "erin", role: nil, live: .use, via: [], state: .pendingRevocation)
        try expectRow(t, "bob", role: .use, live: .use, via: ["group:sre"], state: .active)
        try t.run(.restartWorkspace(workspace: "svc/ws"), as: "root")
        #expect(Set(t.ledger.accessRows(workspaceID: 1).map(\.userKey)) == ["alice", "bob", "carol"])
    }

    @Test func ownerAccessIsNotShared() throws {
        let t = try shared()
        try t.run(.editGroup(name: "sre", addUsers: ["svc"], removeUsers: []), as: "root")
        try t.run(.share(workspace: "svc/ws", users: [], groups: ["Everyone:admin"]), as: "root")
        #expect(try t.row("svc/ws", "svc") == nil)
    }

    // MARK: Status view and history

    @Test func sharingStatus() throws {
        let t = try shared()
        try t.run(.share(workspace: "svc/ws", users: ["Dave"], groups: ["Everyone"]), as: "root")
        try t.run(.suspendUser(username: "carol"), as: "root")
        try t.run(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: "root")
        let status = try t.status("svc/ws")
        #expect(status.workspace == "svc/ws")
        #expect(status.status == .running)
        #expect(status.users == [SharingStatus.UserEntry(username: "dave", role: .use)])
        #expect(
            status.groups == [
                SharingStatus.GroupEntry(name: "Everyone", role: .use, memberCount: 7),
                SharingStatus.GroupEntry(name: "sre", role: .use, memberCount: 1),
            ])
        #expect(status.access.map(\.username) == ["alice", "aud", "bob", "carol", "dave", "root", "ua"])
        let alice = status.access[0]
        #expect(alice.role == .use && alice.liveRole == .admin && alice.state == .pendingRevocation)
        #expect(alice.via == ["group:Everyone"])
        let carol = status.access[3]
        #expect(carol.role == nil && carol.liveRole == .use && carol.via.isEmpty)
        #expect(status.restartRequired)
    }

    @Test func accessChangesCarryTheEventPositionAndTime() throws {
        let t = try shared()
        let before = t.ledger.accessChanges.count
        try t.run(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: "root")
        let changes = t.ledger.accessChanges[before...]
        #expect(changes.count == 1)
        #expect(changes.first?.position == Int64(t.log.count))
        #expect(changes.first?.occurredAt == t.log.last?.occurredAt)
        #expect(changes.first?.row?.state == .pendingRevocation)
        // No change, no write.
        let count = t.ledger.accessChanges.count
        try t.run(.renameWorkspace(workspace: "svc/ws", newName: "x"), as: "root")
        try t.run(.createGroup(name: "unrelated"), as: "root")
        #expect(t.ledger.accessChanges.count == count)
        try t.run(.restartWorkspace(workspace: "svc/x"), as: "root")
        #expect(t.ledger.accessChanges.last?.row == nil)
    }

    /// Stores keep the live role only while pending, so a start, stop or restart rewrites the
    /// pending rows and nothing else, while every row still reads right.
    @Test func lifecycleRewritesOnlyPendingRows() throws {
        let t = try shared()
        let quiet = t.ledger.accessChanges.count
        try t.run(.stopWorkspace(workspace: "svc/ws"), as: "root")
        try expectRow(t, "alice", role: .admin, live: nil, via: ["user"], state: .active)
        try t.run(.startWorkspace(workspace: "svc/ws"), as: "root")
        try t.run(.restartWorkspace(workspace: "svc/ws"), as: "root")
        try expectRow(t, "alice", role: .admin, live: .admin, via: ["user"], state: .active)
        #expect(t.ledger.accessChanges.count == quiet, "no pending row, nothing rewritten")

        try t.run(.share(workspace: "svc/ws", users: ["alice:use"], groups: []), as: "root")
        try expectRow(t, "alice", role: .use, live: .admin, via: ["user"], state: .pendingRevocation)
        #expect(try t.row("svc/ws", "alice")?.heldRole == .admin)
        let downgraded = t.ledger.accessChanges.count
        try t.run(.restartWorkspace(workspace: "svc/ws"), as: "root")
        #expect(t.ledger.accessChanges.count == downgraded + 1)
        #expect(t.ledger.accessChanges.last?.userKey == "alice")
        try expectRow(t, "alice", role: .use, live: .use, via: ["user"], state: .active)
        try expectRow(t, "bob", role: .use, live: .use, via: ["group:sre"], state: .active)
        #expect(try t.row("svc/ws", "alice")?.heldRole == nil)
    }

    @Test func replayGivesTheSameState() throws {
        let t = try shared()
        try t.run(.unshare(workspace: "svc/ws", users: ["alice"], groups: []), as: "root")
        try t.run(.deleteGroup(name: "sre"), as: "root")
        let replayed = try t.replayed()
        #expect(replayed.snapshot() == t.ledger.snapshot())
        #expect(replayed.accessChanges == t.ledger.accessChanges)
    }

    @Test func projectionRejectsEventsThatDoNotFit() {
        let ledger = InMemoryLedger()
        #expect(throws: ProjectionError.self) {
            try Projection.apply(
                .workspaceStarted(WorkspaceIdentity(id: 9, owner: "a", name: "b")), position: 1,
                occurredAt: Timestamp(microseconds: 0), to: ledger)
        }
        #expect(throws: ProjectionError.self) {
            try Projection.apply(
                .userSuspended(username: "ghost"), position: 1, occurredAt: Timestamp(microseconds: 0), to: ledger)
        }
    }
}
