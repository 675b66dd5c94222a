import AccessModel
import ArgumentParser
import Foundation
import LedgerService
import LedgerStore
import PostgresClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `accessledger verify [--expect-head POSITION:HASH] [--checkpoints FILE --public-key FILE]`:
/// re-checks the whole hash chain, and that earlier heads are still part of it.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every hash, check positions 1..N and time order; exit 5 on the first bad event.")

    @OptionGroup var database: DatabaseOptions

    @Option(
        name: .customLong("expect-head"),
        help: ArgumentHelp(
            "A head printed by an earlier verify: prove it is still part of the log.", valueName: "position:hash"))
    var expectHead: String?

    @Option(
        help: ArgumentHelp(
            "A file of signed checkpoints (accessledger checkpoint): prove each is still part of the log.",
            valueName: "file"))
    var checkpoints: String?

    @Option(
        name: .customLong("public-key"),
        help: ArgumentHelp("The public key the checkpoints must be signed with (PEM).", valueName: "file"))
    var publicKey: String?

    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json.")
    var output: OutputFormat = .table

    func run() throws {
        var expected =
            try expectHead.map { try Input.head($0, name: "--expect-head") }.map {
                [ExpectedHead(position: $0.position, hash: $0.hash)]
            } ?? []
        let signed = try readCheckpoints()
        expected += signed.valid
        let connection = try database.open()
        defer { connection.close() }
        let store = EventStore(connection: connection)
        let progress = Progress(label: "verified")
        var report = try store.verify(expectHeads: expected) { count in progress.update(count) }
        progress.finish()
        if report.ok, let forged = signed.forged {
            report.ok = false
            report.problem = forged
        }
        let head = report.head ?? (0, Hex.encode(EventHasher.genesis))
        switch output {
        case .json:
            print(JSONShapes.verify(report).rendered(), terminator: "")
        case .table:
            if report.ok {
                print("ok: \(report.events) events, hash chain intact")
                print("head: \(head.position):\(head.hash)")
            } else {
                print("FAILED at position \(report.firstBadPosition ?? 0): \(report.problem ?? "")")
                if report.head == nil, report.events > 0 {
                    print("last good head: none (the log differs from the expected head at or before that position)")
                } else {
                    print("last good head: \(head.position):\(head.hash)")
                }
            }
        }
        if !report.ok {
            let position = report.firstBadPosition.map { " at position \($0)" } ?? ""
            throw LedgerError.verificationFailed("verification failed\(position): \(report.problem ?? "")")
        }
    }

    /// The checkpoints of `--checkpoints`, checked against `--public-key`: those whose signature
    /// holds, and the first problem with one whose signature does not.
    /// - Throws: ``LedgerError/invalidInput(_:)`` for a missing flag, an unreadable file or a
    ///   malformed line (naming its number).
    func readCheckpoints() throws -> (valid: [ExpectedHead], forged: String?) {
        switch (checkpoints, publicKey) {
        case (nil, nil): return ([], nil)
        case (nil, .some): throw LedgerError.invalidInput("--public-key is used only with --checkpoints FILE")
        case (.some, nil):
            throw LedgerError.invalidInput(
                "--checkpoints needs --public-key FILE: the key the checkpoints must be signed with")
        case (let path?, let keyPath?):
            let trusted = try CheckpointKey.loadPublic(at: keyPath)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw LedgerError.invalidInput("cannot read the checkpoint file \(DisplayText.quoted(path))")
            }
            var valid: [ExpectedHead] = []
            var forged: String?
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).isEmpty {
                let checkpoint: Checkpoint
                do { checkpoint = try Checkpoint(parsing: String(line)) } catch let error as LedgerError {
                    throw LedgerError.invalidInput("\(path), line \(index + 1): \(error.description)")
                }
                let name =
                    "checkpoint on line \(index + 1) of \(path) (position \(checkpoint.position), "
                    + "signed \(checkpoint.signedAt.rfc3339))"
                if checkpoint.isSigned(by: trusted) {
                    valid.append(ExpectedHead(position: checkpoint.position, hash: checkpoint.hash, name: name))
                } else if forged == nil {
                    forged =
                        "\(name) is not signed by the public key \(keyPath): the checkpoint file was altered, "
                        + "or the checkpoint was signed with another key"
                }
            }
            return (valid, forged)
        }
    }
}

/// A progress line on stderr, shown only when stderr is a terminal and the work has taken more
/// than a second. It may be updated from another thread (`import` reads ahead on one).
final class Progress: Sendable {
    let label: String
    /// What is counted: `events`, `lines`.
    let unit: String
    let start = Progress.now()
    private let shown = Atomic<Bool>(false)

    init(label: String, unit: String = "events") {
        self.label = label
        self.unit = unit
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    func update(_ count: Int64, total: Int64? = nil) {
        guard Terminal.standardError.isTerminal else { return }
        let elapsed = Progress.now() - start
        guard elapsed > 1 else { return }
        shown.store(true, ordering: .relaxed)
        let rate = Int64(Double(count) / elapsed)
        let of = total.map { " of \($0)" } ?? ""
        Terminal.standardError.write("\r\(label) \(count)\(of) \(unit) (\(rate)/s)   ")
    }

    func finish() {
        if shown.load(ordering: .relaxed) { Terminal.standardError.write("\n") }
    }
}
