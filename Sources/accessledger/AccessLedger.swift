import AccessModel
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
            AuditCommand.self, ReplayCommand.self, VerifyCommand.self, CheckpointCommand.self, ServeCommand.self, PendingCommand.self, WebhooksCommand.self,
            DBCommand.self,
            ImportCommand.self,
            LocalCommand.self,
        ])
}

@main
enum Main {
    static func main() async {
        do {
            try requireUTF8Arguments()
            var command = try AccessLedger.parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
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
        case let error as UnreadableEvent:
            printError(LedgerError.verificationFailed(error.description).description)
            return 5
        case let error as ExitCode:
            return error.rawValue
        default:
            let code = AccessLedger.exitCode(for: error)
            if code == .success {
                // --help, --version: not errors.
                print(AccessLedger.fullMessage(for: error))
                return 0
            }
            // The parser's messages repeat what was typed: escape it like any other user text.
            let message = AccessLedger.message(for: error).split(separator: "\n", omittingEmptySubsequences: false)
                .map { DisplayText.escaped(String($0)) }.joined(separator: "\n")
            guard code == .validationFailure else {
                // Not a usage error: something failed inside.
                printError(message)
                return 1
            }
            printError(message + "\n  (see `accessledger --help` for usage)")
            return 2
        }
    }

    /// Refuses an argument that is not valid UTF-8 (exit 2) instead of letting it be decoded
    /// with replacement characters, which would record (and hash) something other than what
    /// was typed.
    static func requireUTF8Arguments() throws {
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            guard String(validatingCString: pointer) == nil else { continue }
            let bytes = UnsafeBufferPointer(
                start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            var shown = ""
            for byte in bytes {
                if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "\"") {
                    shown.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    shown += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
                }
            }
            throw LedgerError.invalidInput(
                "argument \(index) \"\(shown)\" is not valid UTF-8: it is refused rather than recorded with "
                    + "replacement characters")
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

        /// Writes all of `text`; false when the descriptor is closed (e.g. the reader of a pipe
        /// went away).
        func writeAll(_ text: String) -> Bool {
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    Glibc.write(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
        var isTerminal: Bool { isatty(descriptor) == 1 }
    }
    static let standardError = Output(descriptor: 2)
    static let standardOutput = Output(descriptor: 1)
}
