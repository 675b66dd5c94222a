import AccessModel
import ArgumentParser

/// A subcommand that appends to the ledger. Its `run()` performs ``command()``; `import` parses a
/// line's `argv` with the same parser and calls the same method, so that a command means the
/// same in a file as on the command line.
protocol MutatingCommand: ParsableCommand {
    /// `--as`, `--reason`, `--occurred-at` and `--database`.
    var mutation: MutationOptions { get }

    /// The domain command these arguments ask for (``Rules`` checks its values).
    func command() throws -> Command
}

/// A subcommand that appends to the ledger and shows a secret once, when it runs (`tokens
/// create`, `webhooks add`). `import` refuses it: nobody would see the secret, and a token or
/// webhook whose secret nobody knows is of no use.
protocol SecretIssuingCommand: ParsableCommand {
    var mutation: MutationOptions { get }

    /// The domain command, carrying `secret` (or what the store keeps of it).
    func command(secret: String) throws -> Command

    /// Why `import` refuses the command, and what to do instead.
    static var notImportable: String { get }
}
