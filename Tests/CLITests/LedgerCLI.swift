import AccessModel
import Foundation
import TestSupport
import Testing

/// A fresh database and the built binary pointed at it: one per test.
struct LedgerCLI {
    let db: TestDatabase
    /// `ACCESSLEDGER_ACTOR` for commands run without `as:`.
    var actor: String?

    /// Creates a migrated database; `bootstrap` creates its first user, a site owner, who then
    /// acts by default.
    static func make(bootstrap owner: String? = "admin") throws -> LedgerCLI {
        var cli = LedgerCLI(db: try TestDatabase.create(), actor: nil)
        if let owner {
            try cli.ok(["users", "create", "--username", owner])
            cli.actor = owner
        }
        return cli
    }

    func drop() { db.drop() }

    /// Runs `arguments`; `as` overrides the acting user (`""` unsets it); `stdin` is its input.
    func run(
        _ arguments: [String], as actor: String? = nil, environment: [String: String] = [:], stdin: Data? = nil
    ) throws -> CLIResult {
        var env = ["ACCESSLEDGER_DATABASE_URL": db.conninfo]
        if let acting = actor ?? self.actor, !acting.isEmpty { env["ACCESSLEDGER_ACTOR"] = acting }
        env.merge(environment) { _, new in new }
        return try runCLI(arguments, environment: env, stdin: stdin)
    }

    /// Runs `arguments`, expects exit 0 and returns stdout.
    @discardableResult
    func ok(
        _ arguments: [String], as actor: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try run(arguments, as: actor)
        #expect(
            result.status == 0, "accessledger \(arguments.joined(separator: " ")): \(result.stderr)",
            sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs a read command with `-o json` and parses its output.
    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let out = try ok(arguments + ["-o", "json"], sourceLocation: sourceLocation)
        return try JSONValue.parse(out)
    }

    /// `sharing status W -o json`.
    func status(_ workspace: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        try json(["sharing", "status", workspace], sourceLocation: sourceLocation)
    }

    /// The `access` row of `username` in a status, or nil.
    func access(_ status: JSONValue, _ username: String) -> JSONValue? {
        status["access"]?.arrayValue?.first { $0["username"]?.stringValue == username }
    }

    /// `(role, live_role, state)` of `username` on `workspace`; nils when the user has no row.
    func accessOf(
        _ username: String, on workspace: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (role: String?, live: String?, state: String?) {
        let row = access(try status(workspace, sourceLocation: sourceLocation), username)
        return (row?["role"]?.stringValue, row?["live_role"]?.stringValue, row?["state"]?.stringValue)
    }

    /// `list --search QUERY -o json`, as workspace names.
    func search(_ query: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        try json(["list", "--search", query], sourceLocation: sourceLocation).arrayValue?
            .compactMap { $0["workspace"]?.stringValue } ?? []
    }

    /// The number of events, from `verify -o json` (which also checks the chain is intact).
    func eventCount(sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        let report = try json(["verify"], sourceLocation: sourceLocation)
        #expect(report["ok"] == .bool(true), sourceLocation: sourceLocation)
        return report["events"]?.intValue ?? -1
    }

    /// The log, from `audit log -o json`.
    func events(_ filters: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSONValue] {
        try json(["audit", "log"] + filters, sourceLocation: sourceLocation).arrayValue ?? []
    }

    /// Creates users (members), in one process each.
    func createUsers(_ names: [String]) throws {
        for name in names { try ok(["users", "create", "--username", name]) }
    }
}
