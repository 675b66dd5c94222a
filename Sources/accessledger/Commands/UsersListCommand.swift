import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger users list`: every user, deleted ones included, sorted by username.
///
/// JSON: an array of `{"username", "kind", "role", "status"}` — kind `human` or
/// `service_account`, role the site role, status `active`, `suspended` or `deleted`.
struct UsersListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List users, deleted ones included.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let connection = try database.open()
        defer { connection.close() }
        let users = try Ledger(connection: connection).users()
        switch format.output {
        case .json:
            let items = users.map(JSONShapes.user)
            print(OutputJSON.array(items).rendered(), terminator: "")
        case .table:
            var table = Table("USERNAME", "KIND", "SITE ROLE", "STATUS")
            for user in users {
                table.append(
                    user.username, user.kind == .serviceAccount ? "service account" : "human", user.role.rawValue,
                    user.status.rawValue)
            }
            print(table.rendered(), terminator: "")
        }
    }
}
