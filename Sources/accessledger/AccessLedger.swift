import ArgumentParser
import LedgerStore
import PostgresClient

#if canImport(Glibc)
    import Glibc
#endif

/// `accessledger`: an event-sourced ledger of who may use which shared workspace, and since when.
struct AccessLedger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accessledger",
        abstract: "An event-sourced ledger of who may use which shared workspace, and since when.",
        subcommands: [
            UsersCommand.self, TokensCommand.self, GroupsCommand.self,
            CreateCommand.self, StartCommand.self, StopCommand.self, RestartCommand.self, RenameCommand.self,
            DeleteCommand.self, SharingCommand.self, ListCommand.self, RotateCommand.self,
            AuditCommand.self, ReplayCommand.self, VerifyCommand.self, DBCommand.self, LocalCommand.self,
        ])
}

@main
enum Main {
    static func main() {
        do {
            var command = try AccessLedger.parseAsRoot()
            try command.run()
        } catch {
            exit(report(error))
        }
    }

    /// Prints `error: …` (plus detail lines) to stderr and returns the exit code of SPEC §5.
    static func report(_ error: Error) -> Int32 {
        switch error {
        case let error as LedgerError:
            printError(error.description)
            return error.exitCode
        case let error as PostgresError:
            printError(LedgerError(error).description)
            return LedgerError(error).exitCode
        case let error as ExitCode:
            return error.rawValue
        default:
            let code = AccessLedger.exitCode(for: error)
            if code == .success {
                // --help, --version: not errors.
                print(AccessLedger.fullMessage(for: error))
                return 0
            }
            printError(AccessLedger.message(for: error) + "\n  (see `accessledger --help` for usage)")
            return 2
        }
    }

    static func printError(_ message: String) {
        var text = message
        if text.hasPrefix("Error: ") { text.removeFirst(7) }
        Terminal.standardError.write("error: " + text + "\n")
    }
}

/// Unbuffered writes to the standard streams.
enum Terminal {
    struct Output {
        let descriptor: Int32
        func write(_ text: String) {
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    Glibc.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                }
                if written <= 0 { return }
                offset += written
            }
        }
        var isTerminal: Bool { isatty(descriptor) == 1 }
    }
    static let standardError = Output(descriptor: 2)
    static let standardOutput = Output(descriptor: 1)
}
