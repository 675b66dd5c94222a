import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger groups list`: `Everyone` and every group not deleted, sorted by name.
///
/// JSON: an array of `{"name", "source", "member_count", "members"}` — source `manual` or `idp`
/// (`builtin` for `Everyone`), `member_count` the active members, `members` the usernames of the
/// stored members (suspended ones too; empty for `Everyone`, whose members are implicit).
struct GroupsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List groups and their members.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let connection = try database.open()
        defer { connection.close() }
        let groups = try Ledger(connection: connection).groups()
        func source(_ listing: GroupListing) -> String {
            listing.group.isEveryone ? "builtin" : listing.group.source.rawValue
        }
        switch format.output {
        case .json:
            let items = groups.map(JSONShapes.group)
            print(OutputJSON.array(items).rendered(), terminator: "")
        case .table:
            var table = Table("NAME", "SOURCE", "ACTIVE MEMBERS", "MEMBERS")
            for listing in groups {
                let members = listing.group.isEveryone ? "(every active user)" : Cell.list(listing.members)
                table.append(listing.group.name, source(listing), String(listing.memberCount), members)
            }
            print(table.rendered(), terminator: "")
        }
    }
}
