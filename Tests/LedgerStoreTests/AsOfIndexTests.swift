import AccessModel
import LedgerStore
import PostgresClient
import TestSupport
import Testing

/// As-of reads go through the interval indexes of migration 0007: on a workspace, a group and
/// users with thousands of history intervals, no statement of an as-of answer scans a temporal
/// table or throws away intervals that do not contain the position (the btree lookups before
/// visited every interval of the key that began before it).
@Suite("As-of reads through interval indexes")
struct AsOfIndexTests {
    static let users = (0..<30).map { "u\($0)" }

    /// A history in which `svc/busy`, group `crew` and each user change hundreds of times.
    static func busyHistory() -> [ImportItem] {
        var time = Timestamp(rfc3339: "2026-01-01T00:00:00Z") ?? Timestamp(microseconds: 0)
        var items: [ImportItem] = []
        func add(_ command: Command, by actor: String? = "root") {
            time.microseconds += 60_000_000
            items.append(ImportItem(command: command, actor: actor, occurredAt: time))
        }
        add(.createUser(username: "root", serviceAccount: false, role: nil), by: nil)
        add(.createUser(username: "svc", serviceAccount: true, role: nil))
        for user in users { add(.createUser(username: user, serviceAccount: false, role: nil)) }
        add(.createGroup(name: "crew"))
        add(.createWorkspace(workspace: "svc/busy", template: "t"))
        add(.createWorkspace(workspace: "svc/quiet", template: "t"))
        add(.startWorkspace(workspace: "svc/busy"))
        for round in 0..<600 {
            let (incoming, outgoing) = (users[round % 30], users[(round + 15) % 30])
            add(.share(workspace: "svc/busy", users: ["\(incoming):use"], groups: []))
            add(.editGroup(name: "crew", addUsers: [incoming], removeUsers: [outgoing]))
            add(.unshare(workspace: "svc/busy", users: [outgoing], groups: []))
            if round % 40 == 0 { add(.share(workspace: "svc/busy", users: [], groups: ["crew:admin"])) }
            if round % 40 == 20 { add(.unshare(workspace: "svc/busy", users: [], groups: ["crew"])) }
            if round % 25 == 0 { add(.restartWorkspace(workspace: "svc/busy")) }
        }
        return items
    }

    /// Runs `body`, then every SELECT it sent again under `EXPLAIN ANALYZE`; returns the plans.
    static func plans(of connection: Connection, explainingOn owner: Connection, _ body: () throws -> Void) throws
        -> [(sql: String, plan: [String])]
    {
        final class Recorder {
            var statements: [Statement] = []
        }
        let recorder = Recorder()
        connection.statementObserver = { recorder.statements.append($0) }
        defer { connection.statementObserver = nil }
        try body()
        // Tables this small would be read whole whatever the indexes: make the planner use an
        // index wherever one can answer, so a scan means that none can.
        try owner.query("SET enable_seqscan = off")
        return try recorder.statements.filter { $0.sql.contains("_history") }.map { statement in
            let plan = try owner.query(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + statement.sql, statement.parameters)
            return (statement.sql, try plan.rows.map { try $0.string(0) })
        }
    }

    /// Rows a plan read and threw away again (filters and index rechecks).
    static func rowsRemoved(_ plan: [String]) -> Int {
        plan.reduce(0) { total, line in
            guard let range = line.range(of: "Rows Removed by ") else { return total }
            return total + (Int(line[range.upperBound...].split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0)
        }
    }

    @Test func asOfAnswersVisitOnlyIntervalsContainingThePosition() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        let report = try Importer(connection: owner).run(Self.busyHistory())
        #expect(report.refused == 0)
        _ = try Replay(connect: db.connect).run()
        try owner.query("ANALYZE")
        let busyIntervals = try owner.query(
            "SELECT count(*) FROM access_history WHERE workspace_id = (SELECT id FROM workspaces WHERE name = 'busy')"
        ).first?.int64(0) ?? 0
        #expect(busyIntervals > 1_000, "the busy workspace has \(busyIntervals) access intervals")

        let connection = try db.connectAsApp()
        let ledger = Ledger(connection: connection)
        let head = report.events
        for position in [head / 10, head / 2, head] {
            let point = LogPoint.position(position)
            let at = Timestamp(
                microseconds: try owner.query(
                    "SELECT (extract(epoch FROM occurred_at) * 1000000)::bigint FROM ledger_events WHERE position = $1",
                    [position]
                ).first?.int64(0) ?? 0)
            let plans = try Self.plans(of: connection, explainingOn: owner) {
                let (status, _) = try ledger.sharingStatus("svc/busy", at: point)
                #expect(!status.access.isEmpty)
                for search in [
                    nil, "has_access:u1", "shared_with_user:u1", "shared_with_group:crew", "pending_revocation:true",
                    "shared:true",
                ] {
                    _ = try ledger.listWorkspaces(search: search, at: point)
                }
                _ = try ledger.pendingRevocations(at: point)
                _ = try AuditHistory(connection: connection).intervals(
                    of: .workspace("svc/busy"), since: at, until: at)
                _ = try AuditHistory(connection: connection).intervals(of: .user("u1"), since: at, until: at)
            }
            #expect(plans.count >= 15)
            for (sql, plan) in plans {
                let scans = plan.filter { $0.contains("Seq Scan on") && $0.contains("_history") }
                #expect(scans.isEmpty, "at \(position): \(sql)\n\(plan.joined(separator: "\n"))")
                // Throwing away a few intervals that contain the position but not the value
                // asked for is fine (a pending row without a role); thousands are not.
                #expect(
                    Self.rowsRemoved(plan) <= 40, "at \(position): \(sql)\n\(plan.joined(separator: "\n"))")
            }
        }
    }
}
