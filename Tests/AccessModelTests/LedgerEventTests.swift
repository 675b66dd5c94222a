import Testing

@testable import AccessModel

@Suite struct LedgerEventTests {
    static let ws = WorkspaceIdentity(id: 7, owner: "oncall-sre", name: "oncall-workspace")

    /// One event of every type.
    static let samples: [LedgerEvent] = [
        .userCreated(username: "Alice", kind: .human, role: .member),
        .userCreated(username: "oncall-sre", kind: .serviceAccount, role: .userAdmin),
        .userRoleChanged(username: "alice", from: .member, to: .auditor),
        .userSuspended(username: "alice"),
        .userActivated(username: "alice"),
        .userDeleted(username: "alice"),
        .tokenCreated(
            username: "oncall-sre", name: "automation", lifetimeSeconds: 8760 * 3600,
            secretSHA256: String(repeating: "ab", count: 32)),
        .tokenRevoked(username: "oncall-sre", name: "automation"),
        .groupCreated(name: "SRE-oncall", source: .manual),
        .groupCreated(name: "idp-group", source: .idp),
        .groupDeleted(name: "sre-oncall"),
        .groupMembersAdded(group: "sre-oncall", usernames: ["alice", "bob"]),
        .groupMembersRemoved(group: "sre-oncall", usernames: ["carol"]),
        .groupSynced(
            GroupSync(
                username: "alice", claimed: ["sre", "ops", "nope"], added: ["ops"], removed: ["dev"],
                ignored: ["nope"], created: [])),
        .groupSynced(GroupSync(username: "bob", claimed: [], added: [], removed: [])),
        .workspaceCreated(ws, template: "oncall"),
        .workspaceStarted(ws),
        .workspaceStopped(ws),
        .workspaceRestarted(ws),
        .workspaceRenamed(ws, newName: "renamed"),
        .workspaceDeleted(ws),
        .workspaceShared(
            ws, users: [ShareEntry(name: "alice", role: .admin), ShareEntry(name: "bob", role: .use)],
            groups: [ShareEntry(name: "Everyone", role: .use)]),
        .workspaceShared(ws, users: [], groups: [ShareEntry(name: "sre", role: .admin)]),
        .workspaceUnshared(ws, users: ["alice"], groups: ["sre", "Everyone"]),
        .webhookAdded(WebhookRecord(name: "SIEM", url: "https://siem.example/hook", types: ["workspace_shared"])),
        .webhookAdded(WebhookRecord(name: "cache", url: "http://127.0.0.1:9/", types: [])),
        .webhookRemoved(name: "siem"),
    ]

    @Test func everyTypeHasASample() {
        #expect(Set(Self.samples.map(\.type)) == Set(LedgerEventType.allCases))
    }

    @Test(arguments: LedgerEventTests.samples)
    func roundTrip(_ event: LedgerEvent) throws {
        let new = event.newEvent
        #expect(new.type == event.type.rawValue)
        #expect(new.stream == event.stream)
        // Through the canonical JSON text, as the database stores and returns it.
        let data = try JSONValue.parse(new.data.canonicalString)
        #expect(data == new.data)
        #expect(try LedgerEvent(type: new.type, data: data) == event)
        let recorded = RecordedEvent(
            position: 1, stream: new.stream, streamVersion: 1, type: new.type, data: data, actor: "root",
            reason: nil, occurredAt: Timestamp(microseconds: 0), recordedAt: Timestamp(microseconds: 0),
            previousHash: [], hash: [])
        #expect(try LedgerEvent(recorded: recorded) == event)
    }

    @Test func streams() {
        #expect(LedgerEvent.userCreated(username: "Alice", kind: .human, role: .member).stream == "user:alice")
        #expect(
            LedgerEvent.groupSynced(GroupSync(username: "Bob", claimed: [], added: [], removed: [])).stream
                == "user:bob")
        #expect(LedgerEvent.tokenRevoked(username: "SVC", name: "Auto").stream == "token:svc/auto")
        #expect(LedgerEvent.groupMembersAdded(group: "SRE", usernames: []).stream == "group:sre")
        #expect(LedgerEvent.workspaceRenamed(Self.ws, newName: "x").stream == "workspace:7")
    }

    @Test func payloadShapes() {
        #expect(
            LedgerEvent.workspaceShared(Self.ws, users: [ShareEntry(name: "alice", role: .admin)], groups: [])
                .data.canonicalString
                == #"{"groups":[],"name":"oncall-workspace","owner":"oncall-sre","users":[{"role":"admin","username":"alice"}],"workspace_id":7}"#
        )
        #expect(
            LedgerEvent.tokenCreated(username: "a", name: "t", lifetimeSeconds: 60, secretSHA256: "00").data
                .canonicalString == #"{"lifetime_seconds":60,"name":"t","secret_sha256":"00","username":"a"}"#)
        #expect(
            LedgerEvent.userRoleChanged(username: "a", from: .member, to: .owner).data.canonicalString
                == #"{"old_role":"member","role":"owner","username":"a"}"#)
    }

    @Test func unknownAndMalformedPayloads() {
        func problem(_ type: String, _ data: JSONValue) -> String? {
            do {
                _ = try LedgerEvent(type: type, data: data)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(
            problem("user_renamed", ["username": "a"])
                == #"cannot read event of type "user_renamed": unknown event type"#)
        #expect(problem("user_suspended", ["user": "a"])?.contains(#"missing field "username""#) == true)
        #expect(problem("user_suspended", ["username": 3])?.contains(#"field "username" is not a string"#) == true)
        #expect(
            problem("user_suspended", ["username": "a", "extra": true])?.contains(#"unexpected field "extra""#) == true)
        #expect(problem("user_suspended", "a")?.contains("not an object") == true)
        #expect(
            problem("user_created", ["username": "a", "kind": "robot", "role": "member"])?
                .contains(#"field "kind" has unknown value "robot""#) == true)
        #expect(
            problem(
                "workspace_shared",
                [
                    "workspace_id": 1, "owner": "o", "name": "n", "users": [["username": "a", "role": "owner"]],
                    "groups": [],
                ]
            )?.contains(#"unknown role "owner""#) == true)
        #expect(
            problem("workspace_started", ["workspace_id": "1", "owner": "o", "name": "n"])?
                .contains(#"field "workspace_id" is not an integer"#) == true)
        #expect(
            problem("group_members_added", ["group": "g", "usernames": ["a", 1]])?.contains("holds a non-string")
                == true)
    }

    @Test func streamMustMatchPayload() {
        let recorded = RecordedEvent(
            position: 1, stream: "user:bob", streamVersion: 1, type: "user_suspended", data: ["username": "alice"],
            actor: "root", reason: nil, occurredAt: Timestamp(microseconds: 0), recordedAt: Timestamp(microseconds: 0),
            previousHash: [], hash: [])
        #expect(throws: EventDecodingError.self) { try LedgerEvent(recorded: recorded) }
    }

    @Test func decisionsCarryNewEvents() throws {
        let t = try TestLedger.world()
        let decision = try Rules.decide(
            .share(workspace: "svc/ws", users: ["ALICE:admin"], groups: []), actor: "ROOT", reader: t.ledger)
        #expect(decision.actor == "root")
        #expect(decision.newEvents.count == 1)
        #expect(decision.newEvents[0].stream == "workspace:1")
        #expect(decision.newEvents[0].type == "workspace_shared")
        // Names are recorded as stored, not as typed.
        #expect(decision.newEvents[0].data["users"] == [["username": "alice", "role": "admin"]])
    }
}
