import AccessModel
import ArgumentParser
import Foundation
import LedgerService
import LedgerStore

/// The options of every command that appends to the ledger: where it is, who acts, why, and when.
struct MutationOptions: ParsableArguments {
    /// `--database`, as ``DatabaseOptions`` has it but declared here: an option group nested in
    /// this one would be built again for every parse, and `import` parses a command line for
    /// every line of its file (in a debug build this one group less nearly halves the cost).
    @Option(name: .customLong("database"), help: DatabaseOptions.help) var database: String?

    @Option(
        name: .customLong("as"),
        help: ArgumentHelp("The acting user (default: $ACCESSLEDGER_ACTOR).", valueName: "user"))
    var actor: String?

    @Option(help: ArgumentHelp("Why, recorded on the event (e.g. a ticket).", valueName: "text"))
    var reason: String?

    @Option(
        name: .customLong("occurred-at"),
        help: ArgumentHelp(
            "When it happened, for backfills and imports (RFC 3339; default: now; never earlier than the last event).",
            valueName: "time"))
    var occurredAt: String?

    /// `--as`, else `ACCESSLEDGER_ACTOR`; `nil` when neither is set (only the bootstrap allows that).
    var resolvedActor: String? {
        if let actor { return actor }
        let fromEnvironment = ProcessInfo.processInfo.environment["ACCESSLEDGER_ACTOR"]
        return fromEnvironment?.isEmpty == false ? fromEnvironment : nil
    }

    /// Runs `command` as one transaction and prints one line per event appended, or
    /// `nothing to change` when its effect was already in place, then one `restart required:` line
    /// per workspace where the command left someone pending revocation. `followUp` runs afterwards
    /// on the same connection instead of those lines (the sharing commands name the users); its
    /// failure is only a warning.
    /// - Returns: what was appended.
    /// - Throws: ``LedgerError`` (exit 2 for bad input, 3 for a rule, …); nothing is appended then.
    @discardableResult
    func perform(_ command: Command, followUp: ((Ledger, CommandOutcome) throws -> Void)? = nil) throws
        -> CommandOutcome
    {
        let time = try occurredAt.map { try Input.time($0, name: "--occurred-at") }
        let connection = try LedgerDatabase.open(.resolve(option: database))
        defer { connection.close() }
        let ledger = Ledger(connection: connection)
        let outcome = try ledger.execute(command, actor: resolvedActor, reason: reason, occurredAt: time)
        if outcome.isNoOp {
            print("nothing to change")
        } else {
            for event in outcome.events { print(EventSummary.line(for: event)) }
        }
        guard let followUp else {
            for workspace in outcome.restartRequired {
                print(
                    "restart required: \(workspace) has pending revocations until `accessledger restart \(workspace)`")
            }
            return outcome
        }
        do { try followUp(ledger, outcome) } catch {
            // The command has committed: report the failed afterthought without failing it.
            Terminal.standardError.write("warning: \(error)\n")
        }
        return outcome
    }
}
