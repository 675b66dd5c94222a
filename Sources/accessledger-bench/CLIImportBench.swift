import AccessModel
import Foundation
import LedgerStore
import PostgresClient

/// `import` through the CLI, as someone moving from another system runs it: the generated
/// history written as an import file, loaded by `accessledger import FILE` (the release binary,
/// a child process) into an empty ledger — decided line by line, chained, streamed with COPY and
/// the projections rebuilt, in one transaction — against a raw `COPY` of the rows it appended
/// into a table of the same shape.
///
/// Token commands are left out of the file: an import refuses `tokens create` (its secret would
/// never be shown), and a `tokens revoke` then has no token.
struct CLIImportBench {
    let report: Report
    let cluster: BenchCluster

    static let database = "bench_cli_import"

    /// The command as `argv` of an import line, `nil` for those an import refuses.
    static func argv(_ command: Command) -> [String]? {
        func list(_ values: [String]) -> String { values.joined(separator: ",") }
        func entries(_ flag: String, _ values: [String]) -> [String] { values.isEmpty ? [] : [flag, list(values)] }
        switch command {
        case .createUser(let username, let serviceAccount, let role):
            return ["users", "create", "--username", username] + (serviceAccount ? ["--service-account"] : [])
                + (role.map { ["--role", $0] } ?? [])
        case .suspendUser(let username): return ["users", "suspend", username]
        case .activateUser(let username): return ["users", "activate", username]
        case .deleteUser(let username): return ["users", "delete", username]
        case .setUserRole(let username, let role): return ["users", "set-role", username, "--role", role]
        case .createToken, .revokeToken, .addWebhook: return nil
        case .createGroup(let name): return ["groups", "create", name]
        case .editGroup(let name, let add, let remove):
            return ["groups", "edit", name] + entries("--add-users", add) + entries("--rm-users", remove)
        case .deleteGroup(let name): return ["groups", "delete", name]
        case .syncGroups(let user, let groups, let createMissing):
            return ["groups", "sync", "--user", user, "--groups", list(groups)]
                + (createMissing ? ["--create-missing"] : [])
        case .createWorkspace(let workspace, let template): return ["create", workspace, "--template", template]
        case .startWorkspace(let workspace): return ["start", workspace]
        case .stopWorkspace(let workspace): return ["stop", workspace]
        case .restartWorkspace(let workspace): return ["restart", workspace]
        case .renameWorkspace(let workspace, let newName): return ["rename", workspace, newName]
        case .deleteWorkspace(let workspace): return ["delete", workspace]
        case .share(let workspace, let users, let groups):
            return ["sharing", "share", workspace] + entries("--user", users) + entries("--group", groups)
        case .unshare(let workspace, let users, let groups):
            return ["sharing", "remove", workspace] + entries("--user", users) + entries("--group", groups)
        case .rotate(let workspace, let outgoing, let incoming, let restart):
            return ["rotate", workspace] + (outgoing.map { ["--out", $0] } ?? []) + ["--in", incoming]
                + (restart ? [] : ["--no-restart"])
        case .removeWebhook(let name): return ["webhooks", "remove", name]
        }
    }

    /// Writes the import file; returns its path and its number of lines.
    static func write(_ history: GeneratedHistory) throws -> (path: String, lines: Int) {
        let path = try CLIProcess.temporaryFile("/tmp/accessledger-bench-import-XXXXXX")
        var text = ""
        var lines = 0
        for item in history.items {
            guard let argv = argv(item.command) else { continue }
            // The first user of an empty ledger has no actor: it is recorded as given.
            let actor = item.actor ?? (argv.count > 3 ? argv[3] : "admin")
            var line: [String: JSONValue] = [
                "argv": .array(argv.map(JSONValue.string)), "as": .string(actor),
                "occurred_at": .string(item.occurredAt.rfc3339),
            ]
            if let reason = item.reason { line["reason"] = .string(reason) }
            text += JSONValue.object(line).canonicalString
            text += "\n"
            lines += 1
        }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return (path, lines)
    }

    func run(_ history: GeneratedHistory) throws {
        let binary = try ServerProcess.binary(environment: ProcessInfo.processInfo.environment)
        let (path, lines) = try CLIImportBench.write(history)
        defer { unlink(path) }
        try cluster.recreate(Self.database)
        defer { try? cluster.drop(Self.database) }
        let (outcome, seconds) = try MonotonicClock.time {
            try CLIProcess.run(
                binary, arguments: ["import", path, "--database", cluster.conninfo(database: Self.database)],
                timeout: 3_600)
        }
        guard outcome.code == 0 else {
            throw BenchError("accessledger import exited \(outcome.code):\n\(outcome.output.suffix(2_000))")
        }
        let owner = try cluster.owner(Self.database)
        var rows: [[String?]] = []
        try owner.stream("SELECT \(ImportBench.columns) FROM ledger_events ORDER BY position") { rows.append($0.values) }
        try owner.execute(script: "CREATE TABLE copy_events (LIKE ledger_events INCLUDING ALL)")
        let (_, copySeconds) = try MonotonicClock.time {
            try owner.copyIn("COPY copy_events (\(ImportBench.columns)) FROM STDIN", rows: rows)
        }
        // The floor an import that keeps the chain checked in the database and leaves every
        // projection indexed cannot go under on this machine: the events through the chain
        // trigger, then the server alone storing and indexing the projections the import built
        // (as replay's floor, ``LogBench/serverStoreAndIndex(_:)``). No client work at all.
        try cluster.recreate("bench_import")
        let chainSeconds = try ImportStages.copyThroughChainTrigger(rows, into: try cluster.owner("bench_import"))
        try cluster.drop("bench_import")
        let storeSeconds = try LogBench.serverStoreAndIndex(owner)
        Log.line(
            "accessledger import: \(lines) lines, \(rows.count) events in \(Format.readable(seconds)) s "
                + "(projections rebuilt included); raw COPY of the same rows \(Format.readable(copySeconds)) s; "
                + "server-alone floor \(Format.readable(chainSeconds + storeSeconds)) s (COPY through the chain "
                + "trigger \(Format.readable(chainSeconds)) s, store and index the projections "
                + "\(Format.readable(storeSeconds)) s)")
        for (baseline, baselineSeconds) in [("raw_copy", copySeconds), ("server_alone_floor", chainSeconds + storeSeconds)] {
            report.add(
                Measurement(
                    name: "cli_import", unit: "events/s", samples: Samples([Double(rows.count) / seconds]),
                    baseline: baseline, baselineSamples: Samples([Double(rows.count) / baselineSeconds]),
                    higherIsBetter: true))
        }
    }
}
