import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore
import PostgresClient

/// `accessledger tokens create|revoke|list`.
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Manage API tokens (only their hashes are stored).",
        subcommands: [Create.self, Revoke.self, TokensListCommand.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print its secret, once: store it in a secrets manager.")

        @Option(help: "The user the token is for.") var user: String
        @Option(help: "The token's name.") var name: String
        @Option(help: "How long it is valid, e.g. 8760h, 30d, 1h30m (at most 168h for a site owner).")
        var lifetime: String
        @OptionGroup var mutation: MutationOptions

        func run() throws {
            let secret = TokenSecret.generate()
            try mutation.perform(
                .createToken(user: user, name: name, lifetime: lifetime, secretSHA256: TokenSecret.sha256Hex(secret)))
            // The secret is the last line, for scripts: `… | tail -n 1`.
            print("secret (shown only this once; only its SHA-256 is stored):")
            print(secret)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")
        @Option(help: "The user the token belongs to.") var user: String
        @Option(help: "The token's name.") var name: String
        @OptionGroup var mutation: MutationOptions
        func run() throws { try mutation.perform(.revokeToken(user: user, name: name)) }
    }
}
