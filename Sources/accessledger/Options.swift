import ArgumentParser
import LedgerService
import LedgerStore
import PostgresClient

/// Output format of read commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Output format of `audit history`, which also speaks CSV.
enum HistoryFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// Where the ledger lives; shared by every command (``MutationOptions`` declares the same option).
struct DatabaseOptions: ParsableArguments {
    static let help = ArgumentHelp(
        "libpq connection string or URI (default: $ACCESSLEDGER_DATABASE_URL, else the embedded local cluster).",
        valueName: "conninfo")

    @Option(name: .customLong("database"), help: DatabaseOptions.help) var database: String?

    var source: LedgerDatabase.Source { .resolve(option: database) }

    /// A prepared connection for ordinary commands (see ``LedgerDatabase/open(_:)``).
    func open() throws -> Connection { try LedgerDatabase.open(source) }
}

/// `-o table|json`, shared by read commands.
struct OutputOptions: ParsableArguments {
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json.")
    var output: OutputFormat = .table
}

/// `--at TIME` / `--at-position N`: answer as of a past point of the log.
struct PointOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Answer as of this time (RFC 3339): right after the last event at or before it.",
            valueName: "time"))
    var at: String?

    @Option(
        name: .customLong("at-position"),
        help: ArgumentHelp(
            "Answer as of this position of the log.",
            valueName: "n"))
    var atPosition: Int64?

    /// The point asked for, or `nil` for now.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a malformed time or both flags at once.
    func point() throws -> LogPoint? {
        try Input.point(at: at, atPosition: atPosition.map(String.init), names: ("--at", "--at-position"))
    }
}
