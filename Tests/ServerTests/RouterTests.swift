import AccessModel
import Foundation
import HTTPTypes
import HummingbirdTesting
import LedgerServer
import LedgerStore
import TestSupport
import Testing

/// The service's routes in process (HummingbirdTesting's router client) against a real
/// PostgreSQL: authentication, who may read what, the error table, mutations and their answers,
/// idempotency, and the OpenAPI document.
@Suite("Service: routes")
struct RouterTests {
    static let workspace = "svc/ws"

    /// admin (owner), svc (owner of svc/ws), alice (admin on svc/ws), bob (member, no access),
    /// audrey (auditor); tokens for each.
    static func seeded() throws -> (ServerHarness, [String: String]) {
        let harness = try ServerHarness.make()
        for name in ["svc", "alice", "bob"] {
            try harness.cli(.createUser(username: name, serviceAccount: name == "svc", role: nil))
        }
        try harness.cli(.createUser(username: "audrey", serviceAccount: false, role: "auditor"))
        try harness.cli(.createWorkspace(workspace: workspace, template: "t"), as: "svc")
        try harness.cli(.share(workspace: workspace, users: ["alice:admin"], groups: []))
        var secrets = ["admin": harness.adminSecret]
        for name in ["svc", "alice", "bob", "audrey"] { secrets[name] = try harness.token(for: name) }
        return (harness, secrets)
    }

    // MARK: Authentication

    @Test func everyWayOfNotBeingAuthenticatedAnswersTheSame401() async throws {
        let (harness, secrets) = try RouterTests.seeded()
        let revoked = try harness.token(for: "bob", name: "gone")
        try harness.cli(.revokeToken(user: "bob", name: "gone"))
        let suspended = try harness.token(for: "alice", name: "sus")
        try harness.cli(.suspendUser(username: "alice"))
        let expired = try harness.token(for: "audrey", name: "short", lifetime: "1s")
        try await Task.sleep(for: .milliseconds(1_200))
        try await harness.run { client in
            var messages: Set<String> = []
            let attempts: [HTTPFields] = [
                [:], [.authorization: "Basic YWRtaW46YWRtaW4="], [.authorization: "Bearer"],
                [.authorization: "Bearer al_" + String(repeating: "z", count: 64)],
                [.authorization: "Bearer " + String(secrets["admin"]!.dropFirst(3))],
                [.authorization: "Bearer al_" + String(repeating: "a", count: 64)],
                [.authorization: "Bearer " + revoked], [.authorization: "Bearer " + suspended],
                [.authorization: "Bearer " + expired],
            ]
            for headers in attempts {
                let answer = try await client.send(.get, "/api/v1/users", headers: headers)
                expectError(answer, 401, "unauthenticated")
                #expect(answer.headers[.wwwAuthenticate] == "Bearer")
                messages.insert(answer.errorMessage ?? "")
                // A mutation is refused the same way and appends nothing.
                let before = try harness.eventCount()
                let post = try await client.send(.post, "/api/v1/groups", body: #"{"name": "x"}"#, headers: headers)
                expectError(post, 401, "unauthenticated")
                #expect(try harness.eventCount() == before)
            }
            #expect(messages.count == 1, "one message for every case: \(messages)")
            #expect(try await client.send(.get, "/api/v1/users", secret: secrets["admin"]).status == 200)
            // The scheme is case-insensitive.
            let lower = try await client.send(
                .get, "/api/v1/users", headers: [.authorization: "bearer " + secrets["admin"]!])
            #expect(lower.status == 200)
        }
    }

    // MARK: Who may read what

    @Test func membersSeeOnlyWhatTheyOwnOrCanReach() async throws {
        let (harness, secrets) = try RouterTests.seeded()
        try harness.cli(.createWorkspace(workspace: "bob/mine", template: "t"), as: "bob")
        try await harness.run { client in
            let acl = "/api/v1/workspaces/svc/ws/acl"
            #expect(try await client.send(.get, acl, secret: secrets["alice"]).status == 200)
            #expect(try await client.send(.get, acl, secret: secrets["audrey"]).status == 200)
            // bob cannot reach svc/ws: it answers exactly as an unknown workspace does.
            let hidden = try await client.send(.get, acl, secret: secrets["bob"])
            let unknown = try await client.send(.get, "/api/v1/workspaces/svc/nope/acl", secret: secrets["bob"])
            expectError(hidden, 404, "not_found")
            expectError(unknown, 404, "not_found")
            // Mutations on a hidden workspace are 404 too, and append nothing.
            let before = try harness.eventCount()
            let restart = try await client.send(.post, "/api/v1/workspaces/svc/ws/restart", secret: secrets["bob"])
            expectError(restart, 404, "not_found")
            #expect(try harness.eventCount() == before)

            let bobsList = try await client.send(.get, "/api/v1/workspaces", secret: secrets["bob"])
            #expect(bobsList.json?.arrayValue?.compactMap { $0["workspace"]?.stringValue } == ["bob/mine"])
            let adminsList = try await client.send(.get, "/api/v1/workspaces", secret: secrets["admin"])
            #expect(adminsList.json?.arrayValue?.compactMap { $0["workspace"]?.stringValue } == ["bob/mine", "svc/ws"])
            let aliceList = try await client.send(
                .get, "/api/v1/workspaces?q=shared%3Atrue", secret: secrets["alice"])
            #expect(aliceList.json?.arrayValue?.compactMap { $0["workspace"]?.stringValue } == ["svc/ws"])

            let users = try await client.send(.get, "/api/v1/users", secret: secrets["bob"])
            #expect(users.json?.arrayValue?.compactMap { $0["username"]?.stringValue } == ["bob"])
            expectError(
                try await client.send(.get, "/api/v1/users/alice/tokens", secret: secrets["bob"]), 404, "not_found")
            #expect(try await client.send(.get, "/api/v1/users/bob/tokens", secret: secrets["bob"]).status == 200)

            for route in ["/api/v1/audit/log", "/api/v1/audit/history?user=bob", "/api/v1/verify"] {
                expectError(try await client.send(.get, route, secret: secrets["bob"]), 403, "not_permitted")
                #expect(try await client.send(.get, route, secret: secrets["audrey"]).status == 200, "\(route)")
            }
        }
    }

    // MARK: Mutations

    @Test func aclPatchIsOneCommandRecordedWithItsToken() async throws {
        let (harness, secrets) = try RouterTests.seeded()
        try harness.cli(.createUser(username: "carol", serviceAccount: false, role: nil))
        try await harness.run { client in
            let acl = "/api/v1/workspaces/svc/ws/acl"
            // One bad entry: nothing of the patch happens.
            let before = try harness.eventCount()
            let bad = try await client.send(
                .patch, acl, secret: secrets["alice"], body: #"{"user_roles": {"carol": "use", "zed": "use"}}"#)
            expectError(bad, 400, "invalid_input", containing: "zed")
            #expect(try harness.eventCount() == before)

            let answer = try await client.send(
                .patch, acl, secret: secrets["alice"],
                body: #"{"user_roles": {"carol": "admin", "bob": "use"}, "group_roles": {}, "reason": "INC-7"}"#)
            #expect(answer.status == 200, "\(answer.text)")
            let events = try #require(answer.json?["events"]?.arrayValue)
            #expect(events.count == 1)
            #expect(events.first?["token"] == .string("alice/t"))
            #expect(events.first?["actor"] == .string("alice"))
            #expect(events.first?["reason"] == .string("INC-7"))
            #expect(answer.json?["restart_required"] == .array([]))

            // Removing and downgrading in one patch leaves them pending until a restart.
            let removal = try await client.send(
                .patch, acl, secret: secrets["alice"], body: #"{"user_roles": {"carol": "", "bob": ""}}"#)
            #expect(removal.json?["restart_required"] == .array(["svc/ws"]))
            let status = try await client.send(.get, acl, secret: secrets["alice"])
            let pending = status.json?["access"]?.arrayValue?.filter { $0["state"] == .string("pending_revocation") }
            #expect(pending?.compactMap { $0["username"]?.stringValue } == ["bob", "carol"])
            #expect(status.json?["restart_required"] == .bool(true))

            // The log filters on the token, and the chain (hashed with the token) verifies.
            let log = try await client.send(.get, "/api/v1/audit/log?token=alice%2Ft", secret: secrets["admin"])
            #expect(log.json?.arrayValue?.count == 2)
            let verify = try await client.send(.get, "/api/v1/verify", secret: secrets["admin"])
            #expect(verify.json?["ok"] == .bool(true))
            let chain = try runProcess(
                repositoryRoot + "/tools/verify-chain", [harness.db.conninfo])
            #expect(chain.status == 0 && chain.stdout.hasPrefix("ok "), "\(chain.stdout) \(chain.stderr)")
        }
    }

    @Test func theErrorTable() async throws {
        let (harness, secrets) = try RouterTests.seeded()
        try await harness.run { client in
            let admin = secrets["admin"]
            let before = try harness.eventCount()
            let cases: [(HTTPRequest.Method, String, String?, Int, String, String?)] = [
                (.post, "/api/v1/users", #"{"username": "x""#, 400, "invalid_input", "not valid JSON"),
                (.post, "/api/v1/users", #"["x"]"#, 400, "invalid_input", "JSON object"),
                (
                    .post, "/api/v1/users", #"{"username": "x", "service_account": "yes"}"#, 400, "invalid_input",
                    "service_account"
                ),
                (.post, "/api/v1/users", #"{"username": "x", "colour": "blue"}"#, 400, "invalid_input", "colour"),
                (.post, "/api/v1/users", #"{"service_account": true}"#, 400, "invalid_input", "username"),
                (.post, "/api/v1/users", #"{"username": "alice_bob"}"#, 400, "invalid_input", "alice_bob"),
                (.post, "/api/v1/users", #"{"username": 1.5}"#, 400, "invalid_input", nil),
                (
                    .patch, "/api/v1/workspaces/svc/ws/acl", #"{"user_roles": {"bob": "owner"}}"#, 400, "invalid_input",
                    "owner"
                ),
                (.patch, "/api/v1/workspaces/svc/ws/acl", #"{}"#, 400, "invalid_input", nil),
                (.post, "/api/v1/workspaces/svc%2Fx/ws/start", nil, 400, "invalid_input", "svc%2Fx"),
                (.post, "/api/v1/workspaces/svc/../start", nil, 400, "invalid_input", nil),
                (.get, "/api/v1/workspaces?q=colour%3Ablue", nil, 400, "invalid_input", "colour:blue"),
                (.get, "/api/v1/workspaces?nosuch=1", nil, 400, "invalid_input", "nosuch"),
                (.get, "/api/v1/workspaces/svc/ws/acl?at=yesterday", nil, 400, "invalid_input", "yesterday"),
                (.get, "/api/v1/audit/log?type=nosuch_type", nil, 400, "invalid_input", "nosuch_type"),
                (.get, "/api/v1/audit/log?token=alice", nil, 400, "invalid_input", "alice"),
                (.get, "/api/v1/verify?expect_head=12", nil, 400, "invalid_input", "12"),
                (.post, "/api/v1/workspaces/svc/nope/start", nil, 404, "not_found", "svc/nope"),
                (.post, "/api/v1/users/zed/suspend", nil, 404, "not_found", "zed"),
                (.delete, "/api/v1/groups/nope", nil, 404, "not_found", "nope"),
                (.delete, "/api/v1/users/bob/tokens/nope", nil, 404, "not_found", "nope"),
                (.get, "/api/v1/nosuch", nil, 404, "not_found", nil),
                (.post, "/api/v1/users", #"{"username": "admin"}"#, 403, "not_permitted", "admin"),
                (.put, "/api/v1/users/admin/role", #"{"role": "member"}"#, 403, "not_permitted", nil),
            ]
            for (method, uri, body, status, code, needle) in cases {
                let answer = try await client.send(method, uri, secret: admin, body: body)
                expectError(answer, status, code, containing: needle)
            }
            let big = "{\"reason\": \"" + String(repeating: "x", count: 2 << 20) + "\"}"
            expectError(
                try await client.send(.post, "/api/v1/groups", secret: admin, body: big), 413, "payload_too_large")
            #expect(try harness.eventCount() == before, "no refused request appended anything")
        }
    }

    @Test func anIdempotencyKeyAnswersTheFirstAnswerAgain() async throws {
        let (harness, secrets) = try RouterTests.seeded()
        try await harness.run { client in
            let headers: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "create-carol-1"]
            let body = #"{"username": "carol", "reason": "onboarding"}"#
            let first = try await client.send(
                .post, "/api/v1/users", secret: secrets["admin"], body: body, headers: headers)
            #expect(first.status == 201, "\(first.text)")
            let count = try harness.eventCount()
            let again = try await client.send(
                .post, "/api/v1/users", secret: secrets["admin"], body: body, headers: headers)
            #expect(again.status == 201)
            #expect(again.text == first.text)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try harness.eventCount() == count)
            // The same key with another body is a conflict; another token's key is its own.
            let other = try await client.send(
                .post, "/api/v1/users", secret: secrets["admin"], body: #"{"username": "dave"}"#, headers: headers)
            expectError(other, 409, "conflict", containing: "create-carol-1")
            let audrey = try await client.send(
                .post, "/api/v1/users", secret: secrets["audrey"], body: #"{"username": "dave"}"#, headers: headers)
            expectError(audrey, 403, "not_permitted")
            // A refused first attempt stores nothing: the key stays free.
            let bad = try await client.send(
                .post, "/api/v1/groups", secret: secrets["admin"], body: #"{"name": "x_y"}"#,
                headers: [HTTPField.Name("Idempotency-Key")!: "group-1"])
            expectError(bad, 400, "invalid_input")
            let good = try await client.send(
                .post, "/api/v1/groups", secret: secrets["admin"], body: #"{"name": "x-y"}"#,
                headers: [HTTPField.Name("Idempotency-Key")!: "group-1"])
            #expect(good.status == 201)
            expectError(
                try await client.send(
                    .post, "/api/v1/groups", secret: secrets["admin"], body: #"{"name": "z"}"#,
                    headers: [HTTPField.Name("Idempotency-Key")!: String(repeating: "k", count: 129)]), 400,
                "invalid_input")
            // A token's secret is never stored: its replay answers the same, without it.
            let tokenHeaders: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "token-1"]
            let token = try await client.send(
                .post, "/api/v1/users/bob/tokens", secret: secrets["admin"], body: #"{"name": "ci", "lifetime": "1h"}"#,
                headers: tokenHeaders)
            #expect(token.status == 201, "\(token.text)")
            #expect(token.json?["secret"]?.stringValue?.hasPrefix("al_") == true)
            #expect(token.json?["token"]?["name"] == .string("ci"))
            let replay = try await client.send(
                .post, "/api/v1/users/bob/tokens", secret: secrets["admin"], body: #"{"name": "ci", "lifetime": "1h"}"#,
                headers: tokenHeaders)
            #expect(replay.json?["secret"] == .null)
            #expect(replay.json?["events"] == token.json?["events"])
            let connection = try harness.db.connect()
            defer { connection.close() }
            let stored = try connection.query("SELECT body FROM idempotency_keys").rows.map { try $0.string(0) }
            #expect(!stored.contains { $0.contains(token.json?["secret"]?.stringValue ?? "?") })
        }
    }

    /// Concurrent mutations go through the one writer: the accepted ones commit, the refused ones
    /// change nothing, and positions stay gap-free.
    @Test func concurrentMutationsKeepTheLogsGuarantees() async throws {
        let (harness, secrets) = try RouterTests.seeded()
        try await harness.run { client in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<24 {
                    // Every fourth one repeats a name another one takes: exactly one of each pair wins.
                    let name = index % 4 == 3 ? "user\(index - 1)" : "user\(index)"
                    group.addTask {
                        try await client.send(
                            .post, "/api/v1/users", secret: secrets["admin"], body: "{\"username\": \"\(name)\"}"
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 18)
            #expect(statuses.filter { $0 == 403 }.count == 6)
            let verify = try await client.send(.get, "/api/v1/verify", secret: secrets["admin"])
            #expect(verify.json?["ok"] == .bool(true))
            let connection = try harness.db.connect()
            defer { connection.close() }
            let positions = try connection.query("SELECT position FROM ledger_events ORDER BY position").rows.map {
                try $0.int64(0)
            }
            #expect(positions == Array(1...Int64(positions.count)))
        }
    }

    // MARK: Operations and the document

    @Test func healthMetricsAndTheDocumentCoverEveryRouteOfTheSpec() async throws {
        let (harness, secrets) = try RouterTests.seeded()
        try await harness.run { client in
            #expect(try await client.send(.get, "/healthz").status == 200)
            #expect(try await client.send(.get, "/readyz").status == 200)
            _ = try await client.send(.get, "/api/v1/users", secret: secrets["admin"])
            let metrics = try await client.send(.get, "/metrics")
            #expect(metrics.status == 200)
            for name in [
                "accessledger_http_requests_total", "accessledger_http_request_duration_seconds",
                "accessledger_events_appended_total", "accessledger_workspaces_pending_revocation",
            ] {
                #expect(metrics.text.contains(name), "\(name)")
            }
            #expect(metrics.text.contains(#"route="/api/v1/users""#))
            #expect(!metrics.text.contains(secrets["admin"]!))

            let document = try #require(try await client.send(.get, "/openapi.json").json)
            #expect(document["openapi"] == .string("3.1.0"))
            let paths = try #require(document["paths"]?.objectValue)
            var documented: Set<String> = []
            for (path, item) in paths {
                for method in item.objectValue?.keys ?? [:].keys { documented.insert(method.uppercased() + " " + path) }
            }
            // SPEC §7's and §8's routes, as the SPEC writes them, plus the four without authentication.
            let spec: Set<String> = [
                "POST /api/v1/users", "GET /api/v1/users", "POST /api/v1/users/{user}/suspend",
                "POST /api/v1/users/{user}/activate", "PUT /api/v1/users/{user}/role", "DELETE /api/v1/users/{user}",
                "POST /api/v1/users/{user}/tokens", "GET /api/v1/users/{user}/tokens",
                "DELETE /api/v1/users/{user}/tokens/{token}", "POST /api/v1/users/{user}/groups/sync",
                "POST /api/v1/groups", "GET /api/v1/groups", "PATCH /api/v1/groups/{group}/members",
                "DELETE /api/v1/groups/{group}", "POST /api/v1/workspaces", "GET /api/v1/workspaces",
                "POST /api/v1/workspaces/{owner}/{name}/start", "POST /api/v1/workspaces/{owner}/{name}/stop",
                "POST /api/v1/workspaces/{owner}/{name}/restart", "POST /api/v1/workspaces/{owner}/{name}/rename",
                "DELETE /api/v1/workspaces/{owner}/{name}", "GET /api/v1/workspaces/{owner}/{name}/acl",
                "PATCH /api/v1/workspaces/{owner}/{name}/acl", "POST /api/v1/workspaces/{owner}/{name}/rotate",
                "GET /api/v1/audit/log", "GET /api/v1/audit/history", "GET /api/v1/verify",
                // SPEC §8 and §9
                "GET /api/v1/audit/report",
                "GET /api/v1/events", "GET /api/v1/events/stream", "GET /api/v1/pending-revocations",
                "GET /api/v1/webhooks", "POST /api/v1/webhooks", "DELETE /api/v1/webhooks/{webhook}", "GET /healthz",
                "GET /readyz", "GET /metrics", "GET /openapi.json",
            ]
            #expect(documented == spec)
            // Every documented route is served: without a token an /api/ route answers 401 (it
            // exists and is guarded), the others 200.
            for route in documented {
                let parts = route.split(separator: " ")
                let uri = String(parts[1]).replacingOccurrences(of: "{owner}", with: "svc")
                    .replacingOccurrences(of: "{name}", with: "ws").replacingOccurrences(of: "{user}", with: "bob")
                    .replacingOccurrences(of: "{group}", with: "g").replacingOccurrences(of: "{token}", with: "t")
                    .replacingOccurrences(of: "{webhook}", with: "w")
                let answer = try await client.send(HTTPRequest.Method(String(parts[0]))!, uri)
                #expect(answer.status == (uri.hasPrefix("/api/") ? 401 : 200), "\(route): \(answer.status)")
            }
        }
    }

    @Test func theAuditReportIsHTMLForAuditorsOnly() async throws {
        let (harness, secrets) = try RouterTests.seeded()
        try harness.cli(.unshare(workspace: RouterTests.workspace, users: ["alice"], groups: []))
        try await harness.run { client in
            let route = "/api/v1/audit/report?workspace=svc%2Fws"
            expectError(try await client.send(.get, route, secret: secrets["bob"]), 403, "not_permitted")
            let page = try await client.send(.get, route, secret: secrets["audrey"])
            #expect(page.status == 200)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("Content-Security-Policy"))
            #expect(page.text.contains("<rect class=\"bar pending_revocation\""))
            expectError(
                try await client.send(.get, "/api/v1/audit/report", secret: secrets["audrey"]), 400, "invalid_input")
        }
    }
}
