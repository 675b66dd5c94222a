import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger list [--search QUERY]`: live workspaces, sorted by `owner/name`.
///
/// JSON (SPEC §5): an array of `{"workspace", "owner", "name", "status", "shared"}`.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List workspaces, optionally filtered by a search query.",
        discussion: """
            QUERY: space-separated terms, all of which must hold; each key at most once. \
            owner:NAME, name:SUBSTRING, a bare NAME (substring) or OWNER/NAME, status:running|stopped, \
            shared:true|false, shared_with_user:NAME (a direct entry), shared_with_group:NAME, \
            has_access:NAME (directly or through a group), pending_revocation:true|false.
            """)

    @Option(help: ArgumentHelp("Filter, e.g. \"shared_with_group:sre-oncall status:running\".", valueName: "query"))
    var search: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var format: OutputOptions
    @OptionGroup var point: PointOptions

    func run() throws {
        let at = try point.point()
        let connection = try database.open()
        defer { connection.close() }
        let (listings, _) = try Ledger(connection: connection).listWorkspaces(search: search, at: at)
        switch format.output {
        case .json:
            let items = listings.map(JSONShapes.listing)
            print(OutputJSON.array(items).rendered(), terminator: "")
        case .table:
            guard !listings.isEmpty else {
                print(search == nil ? "no workspaces" : "no workspaces match")
                return
            }
            var table = Table("WORKSPACE", "STATUS", "SHARED")
            for listing in listings {
                table.append(listing.workspace.reference, listing.workspace.status.rawValue, Cell.yesNo(listing.shared))
            }
            print(table.rendered(), terminator: "")
        }
    }
}
