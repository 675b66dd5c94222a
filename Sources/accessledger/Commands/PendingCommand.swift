import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger pending [-o json] [--at TIME | --at-position N]`: the restart queue. Every
/// running workspace on which someone is pending revocation, oldest first, with since when.
///
/// JSON (SPEC §8): `[{"workspace", "users": [{"username", "live_role", "since": {"position",
/// "time"}}], "oldest": {"position", "time"}}]`.
struct PendingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending",
        abstract: "The restart queue: workspaces where someone keeps live access until a restart, oldest first.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var format: OutputOptions
    @OptionGroup var point: PointOptions

    func run() throws {
        let at = try point.point()
        let connection = try database.open()
        defer { connection.close() }
        let (queue, _) = try Ledger(connection: connection).pendingRevocations(at: at)
        switch format.output {
        case .json: print(OutputJSON.array(queue.map(JSONShapes.pendingRevocation)).rendered(), terminator: "")
        case .table:
            guard !queue.isEmpty else {
                print("no workspace needs a restart")
                return
            }
            var table = Table("WORKSPACE", "USER", "LIVE ROLE", "PENDING SINCE")
            for entry in queue {
                for user in entry.users {
                    table.append(
                        entry.workspace, user.username, user.liveRole.rawValue,
                        "\(user.since.position) \(user.since.time?.rfc3339 ?? "")")
                }
            }
            print(table.rendered(), terminator: "")
        }
    }
}
