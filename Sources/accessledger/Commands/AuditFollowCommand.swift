import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore
import PostgresClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `accessledger audit follow [--after P] [-o json]`: a live tail of the log.
///
/// Prints the events after `--after` (default: the head now, so only new events), then every
/// event as it is appended, until SIGINT or SIGTERM, or until its output is closed (`| head`):
/// each ends it with exit 0. It waits on LISTEN/NOTIFY, which every appending transaction sends
/// at COMMIT, and reads the log only when woken: an idle follower costs the database nothing.
/// With `-o json`, one JSON object a line (the `audit log` entry), for `| jq`.
struct AuditFollowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow", abstract: "Print events as they are appended, until interrupted.")

    @OptionGroup var database: DatabaseOptions
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Start after this position (default: the head now).", valueName: "position"))
    var after: Int64?
    @Option(name: [.customShort("o"), .customLong("output")], help: "table (one line per event) or json (JSON lines).")
    var output: OutputFormat = .table

    /// Set by SIGINT and SIGTERM.
    static let interrupted = Atomic<Bool>(false)

    func run() throws {
        if let after, after < 0 {
            throw LedgerError.invalidInput("invalid --after \(after): expected a position of the log (0 or more)")
        }
        signal(SIGPIPE, SIG_IGN)
        signal(SIGINT) { _ in AuditFollowCommand.interrupted.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in AuditFollowCommand.interrupted.store(true, ordering: .relaxed) }
        // A process inherits its parent's blocked signals: a supervisor that blocks them would
        // otherwise leave this follower deaf to SIGINT and SIGTERM.
        var stops = sigset_t()
        sigemptyset(&stops)
        sigaddset(&stops, SIGINT)
        sigaddset(&stops, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stops, nil)
        var connection = try database.open()
        defer { connection.close() }
        try connection.listen(EventFeedChannel.name)
        var cursor = try after ?? EventStore(connection: connection).headPosition()
        var woken = true
        while !AuditFollowCommand.interrupted.load(ordering: .relaxed) {
            do {
                if woken {
                    let batch = try EventStore(connection: connection).events(after: cursor, limit: 1_000)
                    // One write per batch: a follower catching up is bound by its output.
                    var text = ""
                    for event in batch { text += line(event) }
                    guard Terminal.standardOutput.writeAll(text) else { return }  // output closed
                    cursor = batch.last?.position ?? cursor
                    // A full batch: there may be more; read again without waiting.
                    if batch.count == 1_000 { continue }
                }
                woken = !(try connection.notifications(timeoutMilliseconds: 500)).isEmpty
            } catch let error as PostgresError where LedgerError(error).kind == .unavailable {
                // The database went away: connect again, listen, and read what was missed.
                connection.close()
                connection = try reconnect()
                woken = true
            }
        }
    }

    private func reconnect() throws -> Connection {
        while !AuditFollowCommand.interrupted.load(ordering: .relaxed) {
            if let connection = try? database.open() {
                try connection.listen(EventFeedChannel.name)
                return connection
            }
            usleep(500_000)
        }
        throw ExitCode.success
    }

    private func line(_ event: RecordedEvent) -> String {
        switch output {
        case .json: return JSONShapes.event(event).renderedCompact() + "\n"
        case .table:
            let cells = [
                String(event.position), event.occurredAt.rfc3339, event.type, event.stream, event.actor,
                Cell.text(event.token), event.reason ?? "",
            ].map(DisplayText.escaped)
            return cells.joined(separator: "  ").trimmingSuffix() + "\n"
        }
    }
}

extension String {
    fileprivate func trimmingSuffix() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
