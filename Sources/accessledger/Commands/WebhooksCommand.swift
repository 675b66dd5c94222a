import AccessModel
import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger webhooks add|remove|list` (SPEC §8). Adding and removing are events; the
/// signing secret is printed once and kept apart from the log. While `serve` runs, it delivers
/// each matching event, in log order, to each webhook.
struct WebhooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Webhooks that `serve` delivers events to.",
        subcommands: [Add.self, Remove.self, List.self])

    struct Add: SecretIssuingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a webhook and print its signing secret, once.")

        @Argument(help: "The webhook's name.") var name: String
        @Option(help: ArgumentHelp("Where to POST events (http or https).", valueName: "url")) var url: String
        @Option(
            help: ArgumentHelp(
                "Only these event types (comma-separated; repeatable; default: every type).", valueName: "types"))
        var types: [String] = []
        @OptionGroup var mutation: MutationOptions

        static let notImportable =
            "a webhook's signing secret is shown only once, when it is added, and nobody would see it during an "
            + "import; add webhooks after the import with `accessledger webhooks add`"

        /// The secret is kept apart from the log (in `webhook_delivery`).
        func command(secret: String) -> Command { .addWebhook(name: name, url: url, types: types, secret: secret) }

        func run() throws {
            let secret = WebhookSecret.generate()
            try mutation.perform(command(secret: secret))
            // The secret is the last line, for scripts: `… | tail -n 1`.
            print("signing secret (shown only this once; X-AccessLedger-Signature is HMAC-SHA256 of the body):")
            print(secret)
        }
    }

    struct Remove: MutatingCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a webhook (delivery to it stops).")
        @Argument(help: "The webhook's name.") var name: String
        @OptionGroup var mutation: MutationOptions
        func command() -> Command { .removeWebhook(name: name) }
        func run() throws { try mutation.perform(command()) }
    }

    /// JSON: an array of `{"name", "url", "types", "cursor", "lag", "last_error", "attempts",
    /// "last_attempt_at", "delivered_at"}`; never the secret.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List webhooks with their cursor, lag and last error.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var format: OutputOptions

        func run() throws {
            let connection = try database.open()
            defer { connection.close() }
            let statuses = try Ledger(connection: connection).webhookStatuses()
            switch format.output {
            case .json: print(OutputJSON.array(statuses.map(JSONShapes.webhook)).rendered(), terminator: "")
            case .table:
                guard !statuses.isEmpty else {
                    print("no webhooks")
                    return
                }
                var table = Table("NAME", "URL", "TYPES", "CURSOR", "LAG", "LAST ERROR")
                for status in statuses {
                    table.append(
                        status.webhook.name, status.webhook.url,
                        status.webhook.types.isEmpty ? "(every type)" : status.webhook.types.joined(separator: ","),
                        String(status.cursor), String(status.lag), Cell.text(status.lastError))
                }
                print(table.rendered(), terminator: "")
            }
        }
    }
}
