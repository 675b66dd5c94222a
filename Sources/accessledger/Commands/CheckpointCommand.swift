import AccessModel
import ArgumentParser
import Foundation
import LedgerStore

/// `accessledger checkpoint [--key FILE] [--append FILE]`: verifies the log and signs its head
/// with an Ed25519 key kept outside the database, printing the signed line (and appending it
/// to a file with `--append`). `verify --checkpoints FILE --public-key FILE.pub` later proves
/// every such head is still part of the log, which catches a rewrite by someone who could
/// recompute every hash (the database superuser) but not sign.
struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Verify the log and sign its head with a key kept outside the database.",
        discussion: """
            The key is created on first use (PEM, mode 0600), with its public key beside it (FILE.pub). \
            Keep the checkpoints and the public key where the database's administrators cannot change them.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(
        help: ArgumentHelp(
            "The Ed25519 private key (PEM; default: $ACCESSLEDGER_HOME/checkpoint-key.pem, created if missing).",
            valueName: "file"))
    var key: String?

    @Option(help: ArgumentHelp("Also append the signed line to this file.", valueName: "file"))
    var append: String?

    func run() throws {
        let keyPath = key ?? CheckpointKey.defaultPath()
        let (signingKey, created) = try CheckpointKey.loadOrCreate(at: keyPath)
        if created {
            Terminal.standardError.write(
                "created the checkpoint key \(keyPath) (mode 0600) and its public key \(keyPath).pub\n")
        }
        let connection = try database.open()
        defer { connection.close() }
        let progress = Progress(label: "verified")
        let checkpoint = try EventStore(connection: connection).signCheckpoint(with: signingKey) {
            progress.update($0)
        }
        progress.finish()
        let line = checkpoint.line + "\n"
        if let append { try CheckpointFile.append(line, to: append) }
        print(line, terminator: "")
    }
}
