import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore
import PostgresClient

/// `accessledger import FILE|-`: backfills history from another system, one JSON object a line
/// (``ImportLine``), in one transaction (``HistoryImport``).
///
/// Each line's `argv` is parsed by this very parser and turned into a ``Command`` by the
/// subcommand's own ``MutatingCommand/command()``, so a line means what the same command typed
/// alone means. JSON: ``JSONShapes/importReport(_:lines:)``.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Backfill history from a file of commands (one JSON object a line), all in one transaction.",
        discussion: """
            Each line is {"argv": [ARG, ...], "as": USER, "occurred_at": TIME, "reason": TEXT?}, where argv is \
            a command that changes the ledger, without `accessledger`, --as, --reason, --occurred-at and \
            --database. The lines are decided in order by the same rules as the commands alone; times \
            must never go backwards. A malformed line (exit 2) or a refused one (exit 2 or 3, as the \
            command alone) stops the import and nothing is appended; a line already in effect appends \
            nothing and the import goes on. Blank lines are skipped. `tokens create` and `webhooks add` \
            cannot be imported (their secret is shown only once). Runs as the tables' owner, like \
            `replay`: the projections are rebuilt in the same transaction.
            """)

    @Argument(help: ArgumentHelp("The file to import, or - for stdin.", valueName: "file")) var file: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let input = try LineReader(path: file)
        let source = database.source
        // The schema must be at the latest migration (the embedded cluster is brought up to date).
        try database.open().close()
        // Every 10,000 lines, on a terminal only.
        let progress = Progress(label: "import: read", unit: "lines")
        let feed = ImportFeed(input, parse: ImportCommand.item) { lines in progress.update(Int64(lines)) }
        let report: ImportReport
        do { report = try HistoryImport { try LedgerDatabase.connect(source) }.run(next: feed.next) } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        let lines = report.accepted
        let head = "\(report.head):\(Hex.encode(report.headHash))"
        switch format.output {
        case .json:
            print(JSONShapes.importReport(report, lines: lines).rendered(), terminator: "")
        case .table:
            if lines == 0 {
                print("nothing to import: \(input.name) has no lines; nothing appended, head \(head)")
            } else if let first = report.firstPosition {
                let unchanged = report.unchanged > 0 ? ", \(report.unchanged) changed nothing" : ""
                print(
                    "imported \(lines) lines: \(report.events) events at positions \(first) to \(report.head)"
                        + "\(unchanged); head \(head)")
            } else {
                print("imported \(lines) lines: 0 events, every one already in effect; nothing appended, head \(head)")
            }
        }
    }

    /// The command of one line, `nil` for a blank line (skipped).
    /// - Throws: ``LedgerError/invalidInput(_:)`` starting `line N: ` for a malformed line.
    @Sendable static func item(_ bytes: [UInt8], line: Int) throws -> ImportItem? {
        guard !ImportLine.isBlank(bytes) else { return nil }
        do {
            let parsed = try ImportLine.parse(bytes)
            return ImportItem(
                command: try command(argv: parsed.argv), actor: parsed.actor, reason: parsed.reason,
                occurredAt: parsed.occurredAt, line: line)
        } catch let error as LedgerError {
            throw error.prefixed("line \(line): ")
        }
    }

    /// Parses `argv` as the command line `accessledger ARGV…` and returns the command it runs.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for arguments the parser refuses, a command
    ///   that does not append (or shows a secret), and `--as`, `--reason`, `--occurred-at` or
    ///   `--database` among the arguments.
    static func command(argv: [String]) throws -> Command {
        let shown = DisplayText.escaped(JSONValue.array(argv.map { .string($0) }).canonicalString)
        let parsed: any ParsableCommand
        do { parsed = try parse(argv) } catch {
            guard AccessLedger.exitCode(for: error) != .success else {
                throw LedgerError.invalidInput("argv \(shown) asks for help, not for a command that changes the ledger")
            }
            var message = AccessLedger.message(for: error).split(separator: "\n").first.map(String.init) ?? ""
            if message.hasPrefix("Error: ") { message.removeFirst(7) }
            throw LedgerError.invalidInput("argv \(shown): \(DisplayText.escaped(message))")
        }
        if let issuing = parsed as? any SecretIssuingCommand {
            throw LedgerError.invalidInput(
                "argv \(shown) cannot be imported: \(type(of: issuing).notImportable)")
        }
        guard let mutating = parsed as? any MutatingCommand else {
            throw LedgerError.invalidInput(
                "argv \(shown) is not a command that changes the ledger (import takes users, groups, "
                    + "tokens revoke, create, start, stop, restart, rename, delete, sharing share and remove, "
                    + "rotate and webhooks remove)")
        }
        let options = mutating.mutation
        for (flag, given, instead) in [
            ("--as", options.actor != nil, "the line's \"as\" field says who acted"),
            ("--reason", options.reason != nil, "the line's \"reason\" field says why"),
            ("--occurred-at", options.occurredAt != nil, "the line's \"occurred_at\" field says when"),
            ("--database", options.database != nil, "the import writes to the database it runs on"),
        ] where given {
            throw LedgerError.invalidInput("argv \(shown) must not contain \(flag): \(instead)")
        }
        return try mutating.command()
    }

    /// `AccessLedger.parseAsRoot(argv)`, quicker for the usual line: when `argv` starts with the
    /// words that name a subcommand that appends (aliases included), the rest is parsed by that
    /// subcommand alone, which is what the root's parser does after matching those words (no
    /// command on the way has options of its own). Building the whole command tree for every
    /// line would cost most of an import. Anything else goes to the root's parser, for its answer
    /// or its error.
    static func parse(_ argv: [String]) throws -> any ParsableCommand {
        for length in [2, 1] where argv.count >= length {
            if let leaf = appendingSubcommands[argv[..<length].joined(separator: " ")] {
                return try leaf.parseAsRoot(Array(argv[length...]))
            }
        }
        return try AccessLedger.parseAsRoot(argv)
    }

    /// The subcommands that append (``MutatingCommand``, ``SecretIssuingCommand``), by the words
    /// that name them: `"sharing share"`, `"sharing add"`, `"start"`…
    static let appendingSubcommands: [String: any ParsableCommand.Type] = {
        var found: [String: any ParsableCommand.Type] = [:]
        func visit(_ command: any ParsableCommand.Type, path: [String]) {
            for sub in command.configuration.subcommands {
                for name in [sub._commandName] + sub.configuration.aliases {
                    let words = path + [name]
                    if sub is any MutatingCommand.Type || sub is any SecretIssuingCommand.Type {
                        found[words.joined(separator: " ")] = sub
                    }
                    visit(sub, path: words)
                }
            }
        }
        visit(AccessLedger.self, path: [])
        return found
    }()
}
