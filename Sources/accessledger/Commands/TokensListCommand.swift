import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger tokens list [--user NAME]`: tokens sorted by user then name, never the secret
/// (nor its hash).
///
/// JSON: an array of `{"name", "user", "created", "expires", "revoked"}` — times in RFC 3339,
/// `revoked` `null` while the token is valid.
struct TokensListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List tokens: name, user, created, expires (never the secret).")

    @Option(help: "Only this user's tokens.") var user: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let connection = try database.open()
        defer { connection.close() }
        let tokens = try Ledger(connection: connection).tokens(user: user)
        switch format.output {
        case .json:
            let items = tokens.map(JSONShapes.token)
            print(OutputJSON.array(items).rendered(), terminator: "")
        case .table:
            var table = Table("NAME", "USER", "CREATED", "EXPIRES", "REVOKED")
            for token in tokens {
                table.append(
                    token.name, token.username, token.createdAt.rfc3339, token.expiresAt.rfc3339,
                    Cell.time(token.revokedAt))
            }
            print(table.rendered(), terminator: "")
        }
    }
}
