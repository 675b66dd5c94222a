import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore
import PostgresClient

/// `accessledger audit log|history`.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read the ledger's history.", subcommands: [Log.self, AuditHistoryCommand.self, AuditFollowCommand.self, AuditReportCommand.self])

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The events of the log, oldest first, optionally filtered.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: ArgumentHelp("Only events of the workspace that holds this name now.", valueName: "owner/name"))
        var workspace: String?
        @Option(help: "Only events about this user: their account, tokens, memberships, and shares naming them.")
        var user: String?
        @Option(help: "Only events by this actor.") var actor: String?
        @Option(help: "Only events of this type (e.g. workspace_shared).") var type: String?
        @Option(
            help: ArgumentHelp("Only events appended through the API with this token.", valueName: "user/token"))
        var token: String?
        @Option(help: "Only events that occurred at or after this time (RFC 3339).") var since: String?
        @Option(help: "Only events that occurred at or before this time (RFC 3339).") var until: String?
        @Option(name: [.customShort("o"), .customLong("output")], help: "table or json.")
        var output: OutputFormat = .table

        func run() throws {
            var filter = AuditFilter()
            filter.actor = actor
            filter.type = try type.map { try Input.eventType($0, name: "--type") }
            filter.token = try token.map { try Input.tokenReference($0, name: "--token") }
            filter.since = try since.map { try Input.time($0, name: "--since") }
            filter.until = try until.map { try Input.time($0, name: "--until") }
            let connection = try database.open()
            defer { connection.close() }
            filter = try Ledger(connection: connection).auditFilter(filter, workspace: workspace, user: user)
            var table = Table("POSITION", "TIME", "TYPE", "STREAM", "ACTOR", "TOKEN", "REASON")
            // JSON is printed only once the whole array is read: a failure halfway prints nothing.
            var document = DocumentOutput()
            var first = true
            if output == .json { try document.write("[") }
            try AuditLog(connection: connection).forEach(filter) { event in
                switch output {
                case .table:
                    table.append(
                        String(event.position), event.occurredAt.rfc3339, event.type, event.stream, event.actor,
                        Cell.text(event.token), event.reason ?? "")
                case .json:
                    let item = JSONShapes.event(event)
                    let text = item.rendered().split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
                    try document.write((first ? "\n" : ",\n") + text)
                    first = false
                }
            }
            switch output {
            case .table: print(table.rendered(), terminator: "")
            case .json:
                try document.write(first ? "]\n" : "\n]\n")
                try document.commit()
            }
        }
    }
}
