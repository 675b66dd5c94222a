import AccessModel
import LedgerStore
import PostgresClient
import TestSupport
import Testing

@Suite("Audit history: intervals of access")
struct AuditHistoryTests {
    func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text) ?? Timestamp(microseconds: 0) }

    @Test func whoCouldReachTheWorkspaceWhoGrantedItAndWhenItReallyEnded() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let ledger = Ledger(connection: try db.connectAsApp())
        func run(_ command: Command, _ actor: String?, _ time: String, _ reason: String? = nil) throws {
            try ledger.execute(command, actor: actor, reason: reason, occurredAt: at(time))
        }
        try run(.createUser(username: "admin", serviceAccount: false, role: nil), nil, "2026-03-01T09:00:00Z")
        try run(.createUser(username: "alice", serviceAccount: false, role: nil), "admin", "2026-03-01T09:00:00Z")
        try run(.createUser(username: "svc", serviceAccount: true, role: nil), "admin", "2026-03-01T09:00:00Z")
        try run(.createWorkspace(workspace: "svc/ws", template: "t"), "admin", "2026-03-01T09:01:00Z")
        try run(
            .share(workspace: "svc/ws", users: ["alice:admin"], groups: []), "admin", "2026-03-02T10:00:00Z", "INC-1")
        try run(
            .unshare(workspace: "svc/ws", users: ["alice"], groups: []), "admin", "2026-03-03T02:14:00Z", "rotation")
        try run(.restartWorkspace(workspace: "svc/ws"), "svc", "2026-03-03T06:00:00Z")

        let history = AuditHistory(connection: try db.connectAsApp())
        let intervals = try history.intervals(of: .workspace("svc/ws"))
        #expect(intervals.count == 2)
        let granted = intervals[0]
        #expect(granted.username == "alice" && granted.role == .admin && granted.liveRole == .admin)
        #expect(granted.state == .active && granted.via == ["user"])
        #expect(granted.from.time == at("2026-03-02T10:00:00Z") && granted.from.position == 5)
        #expect(granted.startedBy == .init(actor: "admin", type: "workspace_shared", reason: "INC-1"))
        #expect(granted.to?.position == 6)
        #expect(granted.endedBy == .init(actor: "admin", type: "workspace_unshared", reason: "rotation"))
        let lingering = intervals[1]
        #expect(lingering.role == nil && lingering.liveRole == .admin && lingering.state == .pendingRevocation)
        #expect(lingering.via.isEmpty)
        #expect(lingering.to?.time == at("2026-03-03T06:00:00Z"))
        #expect(lingering.endedBy?.type == "workspace_restarted" && lingering.endedBy?.actor == "svc")

        // By user, and windows that overlap or miss the intervals.
        #expect(try history.intervals(of: .user("ALICE")) == intervals)
        #expect(try history.intervals(of: .workspace("svc/ws"), since: at("2026-03-03T03:00:00Z")) == [lingering])
        #expect(try history.intervals(of: .workspace("svc/ws"), until: at("2026-03-02T12:00:00Z")) == [granted])
        #expect(try history.intervals(of: .workspace("svc/ws"), since: at("2026-03-04T00:00:00Z")).isEmpty)
        #expect(try history.intervals(of: .workspace("svc/ws"), until: at("2026-03-01T00:00:00Z")).isEmpty)

        // A deleted workspace's history is still found by its last name.
        try run(.deleteWorkspace(workspace: "svc/ws"), "admin", "2026-03-05T00:00:00Z")
        #expect(try history.intervals(of: .workspace("svc/ws")).count == 2)
        let unknown = #expect(throws: LedgerError.self) { try history.intervals(of: .workspace("svc/nope")) }
        #expect(unknown?.exitCode == 2)
        #expect(throws: LedgerError.self) { try history.intervals(of: .user("nobody")) }
    }
}
