import ArgumentParser
import LedgerServer
import LedgerService
import LedgerStore
import Logging

/// `accessledger serve [--listen HOST:PORT] [--database CONNINFO]`: the HTTP service (SPEC §7).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the ledger over HTTP, authenticated by bearer tokens (SPEC §7).",
        discussion: """
            Runs until SIGINT or SIGTERM, then stops accepting, lets requests in flight finish (at most 10 s) \
            and exits 0. Logs one line per request to stderr. Create the first user and tokens with the CLI.
            """)

    @Option(help: ArgumentHelp("Where to listen (port 0 picks a free port).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"
    @Option(help: ArgumentHelp("Threads (and database connections) serving reads.", valueName: "n"))
    var readers: Int = 8
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let (host, port) = try ServerConfiguration.listenAddress(listen)
        guard (1...64).contains(readers) else {
            throw LedgerError.invalidInput("invalid --readers \(readers): expected 1 to 64")
        }
        let source = database.source
        // Fail early, with the CLI's message, when the database cannot be opened.
        try LedgerDatabase.open(source).close()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "accessledger")
        let server = LedgerServer(
            configuration: ServerConfiguration(
                host: host, port: port, readerThreads: readers, open: { try LedgerDatabase.open(source) }))
        try await server.run(logger: logger) { address in
            // The one line on stdout, for scripts that start the service on port 0.
            Terminal.standardOutput.write("listening on http://\(address)\n")
        }
    }
}
