import ArgumentParser
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

/// Where the ledger lives; shared by every command.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .customLong("database"),
        help: ArgumentHelp(
            "libpq connection string or URI (default: $ACCESSLEDGER_DATABASE_URL, else the embedded local cluster).",
            valueName: "conninfo"))
    var database: String?

    var source: LedgerDatabase.Source { .resolve(option: database) }

    /// A prepared connection for ordinary commands (see ``LedgerDatabase/open(_:)``).
    func open() throws -> Connection { try LedgerDatabase.open(source) }
}
