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

    struct Create: SecretIssuingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print its secret, once: store it in a secrets manager.")

        @Option(help: "The user the token is for.") var user: String
        @Option(help: "The token's name.") var name: String
        @Option(help: "How long it is valid, e.g. 8760h, 30d, 1h30m (at most 168h for a site owner).")
        var lifetime: String
        @OptionGroup var mutation: MutationOptions

        static let notImportable =
            "a token's secret is shown only once, when it is created, and nobody would see it during an import; "
            + "create tokens after the import with `accessledger tokens create`"

        /// Only the secret's SHA-256 goes into the command (and the log).
        func command(secret: String) -> Command {
            .createToken(user: user, name: name, lifetime: lifetime, secretSHA256: TokenSecret.sha256Hex(secret))
        }

        func run() throws {
            let secret = TokenSecret.generate()
            try mutation.perform(command(secret: secret))
            // The secret is the last line, for scripts: `… | tail -n 1`.
            print("secret (shown only this once; only its SHA-256 is stored):")
            print(secret)
        }
    }

    struct Revoke: MutatingCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")
        @Option(help: "The user the token belongs to.") var user: String
        @Option(help: "The token's name.") var name: String
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .revokeToken(user: user, name: name) }
        func run() throws { try mutation.perform(command()) }
    }
}
