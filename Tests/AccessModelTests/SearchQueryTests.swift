import Testing

@testable import AccessModel

@Suite struct SearchQueryTests {
    @Test func parsesEveryKey() throws {
        let query = try SearchQuery.parse(
            "OWNER:svc name:ws Status:RUNNING shared:true shared_with_user:Alice shared_with_group:sre "
                + "has_access:bob Pending_Revocation:false")
        #expect(
            query
                == SearchQuery(
                    owner: "svc", name: .contains("ws"), status: .running, shared: true, sharedWithUser: "Alice",
                    sharedWithGroup: "sre", hasAccess: "bob", pendingRevocation: false))
        #expect(try SearchQuery.parse("") == SearchQuery())
        #expect(try SearchQuery.parse("   ") == SearchQuery())
        #expect(try SearchQuery.parse("  OnCall  ") == SearchQuery(name: .contains("oncall")))
        #expect(
            try SearchQuery.parse("svc/WS status:stopped")
                == SearchQuery(owner: "svc", name: .equals("ws"), status: .stopped))
        #expect(try SearchQuery.parse("shared:False").shared == false)
    }

    @Test(arguments: [
        ("foo:bar", "invalid search term \"foo:bar\": unknown key \"foo\""),
        ("owner:a owner:b", "invalid search term \"owner:b\": key \"owner\" given more than once"),
        ("OWNER:a owner:b", "key \"owner\" given more than once"),
        ("shared:maybe", "invalid search term \"shared:maybe\": expected true or false"),
        ("pending_revocation:yes", "invalid search term \"pending_revocation:yes\": expected true or false"),
        (":x", "invalid search term \":x\": empty key"),
        ("owner:", "invalid search term \"owner:\": empty value"),
        ("status:deleted", "invalid search term \"status:deleted\": expected running or stopped"),
        ("ws name:x", "invalid search term \"name:x\": key \"name\" given more than once"),
        ("ws other", "invalid search term \"other\": key \"name\" given more than once"),
        ("owner:a a/b", "invalid search term \"a/b\": key \"owner\" given more than once"),
        ("a/b/c", "invalid search term \"a/b/c\": expected OWNER/NAME"),
        ("name:a_b", "invalid search term \"name:a_b\""),
        ("has_access:a_b", "invalid search term \"has_access:a_b\": \"a_b\" is not a valid user name"),
        ("owner:a:b", "invalid search term \"owner:a:b\""),
        ("shared_with_group:x.y", "invalid search term \"shared_with_group:x.y\""),
        ("ws_1", "invalid search term \"ws_1\""),
    ])
    func errorsNameTheTerm(_ text: String, _ message: String) {
        do {
            _ = try SearchQuery.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func unknownUsersAndGroupsAreErrors() throws {
        let t = try TestLedger.world()
        #expect(
            try SearchQuery.parse("has_access:ALICE shared_with_group:Everyone", checkingNamesIn: t.ledger).hasAccess
                == "ALICE")
        for (text, message) in [
            ("has_access:zed", "invalid search term \"has_access:zed\": unknown user \"zed\""),
            ("shared_with_user:zed", "unknown user \"zed\""),
            ("owner:zed", "unknown user \"zed\""),
            ("zed/ws", "invalid search term \"zed/ws\": unknown user \"zed\""),
            ("shared_with_group:nope", "invalid search term \"shared_with_group:nope\": unknown group \"nope\""),
        ] {
            do {
                _ = try SearchQuery.parse(text, checkingNamesIn: t.ledger)
                Issue.record("accepted \(text)")
            } catch let refusal as Refusal {
                #expect(refusal.exitCode == 2)
                #expect(refusal.message.contains(message), "\(refusal.message)")
            }
        }
    }

    func list(_ t: TestLedger, _ text: String) throws -> [String] {
        let query = try SearchQuery.parse(text, checkingNamesIn: t.ledger)
        return t.ledger.allWorkspaces().filter {
            query.matches(
                $0, acl: t.ledger.acl(workspaceID: $0.id), access: t.ledger.accessRows(workspaceID: $0.id))
        }.map(\.reference)
    }

    @Test func matching() throws {
        let t = try TestLedger.world()
        try t.run(.createWorkspace(workspace: "alice/dev", template: "t"), as: "alice")
        try t.run(.createWorkspace(workspace: "svc/staging", template: "t"), as: "root")
        try t.run(.createWorkspace(workspace: "svc/gone", template: "t"), as: "root")
        try t.run(.share(workspace: "svc/gone", users: ["bob"], groups: []), as: "root")
        try t.run(.deleteWorkspace(workspace: "svc/gone"), as: "root")
        try t.run(.share(workspace: "svc/ws", users: ["alice"], groups: ["sre"]), as: "root")
        try t.run(.share(workspace: "svc/staging", users: ["bob:admin"], groups: []), as: "root")
        try t.run(.stopWorkspace(workspace: "svc/staging"), as: "root")

        #expect(try list(t, "") == ["svc/ws", "alice/dev", "svc/staging"])
        #expect(try list(t, "owner:SVC") == ["svc/ws", "svc/staging"])
        #expect(try list(t, "s") == ["svc/ws", "svc/staging"])
        #expect(try list(t, "svc/ws") == ["svc/ws"])
        #expect(try list(t, "svc/w") == [])
        #expect(try list(t, "name:DEV") == ["alice/dev"])
        #expect(try list(t, "status:stopped") == ["svc/staging"])
        #expect(try list(t, "shared:false") == ["alice/dev"])
        #expect(try list(t, "shared:true") == ["svc/ws", "svc/staging"])
        #expect(try list(t, "shared_with_group:SRE") == ["svc/ws"])
        // Direct entries only, as Coder does; has_access includes groups.
        #expect(try list(t, "shared_with_user:bob") == ["svc/staging"])
        #expect(try list(t, "has_access:bob") == ["svc/ws", "svc/staging"])
        #expect(try list(t, "has_access:carol") == ["svc/ws"])
        #expect(try list(t, "has_access:svc") == [])
        #expect(try list(t, "pending_revocation:true") == [])
        try t.run(.editGroup(name: "sre", addUsers: [], removeUsers: ["carol"]), as: "root")
        #expect(try list(t, "pending_revocation:true") == ["svc/ws"])
        #expect(try list(t, "pending_revocation:false") == ["alice/dev", "svc/staging"])
        // A pending user no longer has access.
        #expect(try list(t, "has_access:carol") == [])
        #expect(try list(t, "owner:svc status:running shared:true has_access:alice") == ["svc/ws"])
    }
}
