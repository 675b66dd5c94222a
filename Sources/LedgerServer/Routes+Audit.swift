import AccessModel
import Hummingbird
import LedgerService
import LedgerStore

/// `/api/v1/audit/log`, `/api/v1/audit/history` and `/api/v1/verify` (SPEC §7): site `owner`,
/// `user-admin` and `auditor` only.
extension LedgerAPI {
    func addAuditRoutes(to router: Router<LedgerContext>) {
        let api = self
        router.get("/api/v1/audit/log") { request, _ in
            let query = try Query(request, allowed: ["workspace", "user", "actor", "type", "token", "since", "until"])
            var filter = AuditFilter()
            filter.actor = query["actor"]
            filter.type = try query["type"].map { try Input.eventType($0, name: "type") }
            filter.token = try query["token"].map { try Input.tokenReference($0, name: "token") }
            filter.since = try query["since"].map { try Input.time($0, name: "since") }
            filter.until = try query["until"].map { try Input.time($0, name: "until") }
            let base = filter
            return try await api.readJSON(request) { principal, ledger in
                try LedgerAPI.requireAuditor(principal)
                let resolved = try ledger.auditFilter(base, workspace: query["workspace"], user: query["user"])
                var events: [OutputJSON] = []
                try AuditLog(connection: ledger.connection).forEach(resolved) { events.append(JSONShapes.event($0)) }
                return .array(events)
            }
        }
        router.get("/api/v1/audit/history") { request, _ in
            let query = try Query(request, allowed: ["workspace", "user", "since", "until"])
            let subject = try Input.subject(
                workspace: query["workspace"], user: query["user"], names: ("workspace=", "user="))
            let since = try query["since"].map { try Input.time($0, name: "since") }
            let until = try query["until"].map { try Input.time($0, name: "until") }
            let csv = request.headers[.accept]?.contains("text/csv") == true
            let text = try await api.read(request) { principal, ledger in
                try LedgerAPI.requireAuditor(principal)
                let intervals = try AuditHistory(connection: ledger.connection).intervals(
                    of: subject, since: since, until: until)
                return csv
                    ? AuditCSV.render(intervals) : OutputJSON.array(intervals.map(JSONShapes.interval)).rendered()
            }
            return JSONResponse.make(
                status: 200, text: text, contentType: csv ? "text/csv; charset=utf-8" : "application/json")
        }
        router.get("/api/v1/audit/report") { request, _ in
            let query = try Query(request, allowed: ["workspace", "user", "since", "until"])
            let subject = try Input.subject(
                workspace: query["workspace"], user: query["user"], names: ("workspace=", "user="))
            let since = try query["since"].map { try Input.time($0, name: "since") }
            let until = try query["until"].map { try Input.time($0, name: "until") }
            let page = try await api.read(request) { principal, ledger in
                try LedgerAPI.requireAuditor(principal)
                let connection = ledger.connection
                return try AuditReport.gather(
                    on: connection, subject: subject, since: since, until: until,
                    now: try AuditReport.now(on: connection)
                ).html()
            }
            return JSONResponse.make(status: 200, text: page, contentType: "text/html; charset=utf-8")
        }
        router.get("/api/v1/verify") { request, _ in
            let query = try Query(request, allowed: ["expect_head"])
            let expected = try query["expect_head"].map { try Input.head($0, name: "expect_head") }
            return try await api.readJSON(request) { principal, ledger in
                try LedgerAPI.requireAuditor(principal)
                let report = try EventStore(connection: ledger.connection).verify(expectHead: expected)
                return JSONShapes.verify(report)
            }
        }
    }
}
