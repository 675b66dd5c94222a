import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger sharing status OWNER/NAME` (alias `list`): the ACL, who has access through
/// which entry, and whether a restart is still needed for a removal to bite.
///
/// JSON (SPEC §5): `{"workspace", "status", "as_of": {"position", "time"}, "acl": {"users":
/// [{"username", "role"}], "groups": [{"name", "role", "member_count"}]}, "access": [{"username",
/// "role", "live_role", "via", "state"}], "restart_required"}`, roles `null` for none.
struct SharingStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a workspace's ACL and every user's effective and live access.",
        aliases: ["list"])

    @Argument(help: ArgumentHelp("The workspace.", valueName: "owner/name")) var workspace: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var format: OutputOptions
    @OptionGroup var point: PointOptions

    func run() throws {
        let at = try point.point()
        let connection = try database.open()
        defer { connection.close() }
        let (status, asOf) = try Ledger(connection: connection).sharingStatus(workspace, at: at)
        switch format.output {
        case .json: print(JSONShapes.sharingStatus(status, asOf).rendered(), terminator: "")
        case .table: print(SharingStatusCommand.table(status, asOf), terminator: "")
        }
    }

    /// Coder's USER / GROUP / ROLE table, then the per-user ACCESS table.
    static func table(_ status: SharingStatus, _ asOf: AsOf) -> String {
        let time = asOf.time.map { " at \($0.rfc3339)" } ?? ""
        var text = "\(status.workspace) (\(status.status.rawValue)), as of position \(asOf.position)\(time)\n\n"
        if status.users.isEmpty && status.groups.isEmpty {
            text += "not shared with anyone\n"
        } else {
            var acl = Table("USER", "GROUP", "ROLE")
            for entry in status.users { acl.append(entry.username, "-", entry.role.rawValue) }
            for entry in status.groups {
                let members = entry.memberCount == 1 ? "1 member" : "\(entry.memberCount) members"
                acl.append("-", "\(entry.name) (\(members))", entry.role.rawValue)
            }
            text += acl.rendered()
        }
        text += "\nACCESS\n"
        if status.access.isEmpty {
            text += "nobody but the owner has access\n"
        } else {
            var access = Table("USER", "ROLE", "LIVE ROLE", "VIA", "STATE")
            for row in status.access {
                access.append(
                    row.username, Cell.role(row.role), Cell.role(row.liveRole), Cell.list(row.via),
                    row.state.rawValue)
            }
            text += access.rendered()
        }
        if status.restartRequired {
            let pending = status.access.filter { $0.state == .pendingRevocation }.map(\.username)
            text +=
                "\nrestart required: \(pending.joined(separator: ", ")) may still be connected; "
                + "run `accessledger restart \(status.workspace)` for the removal to take effect\n"
        }
        return text
    }
}
