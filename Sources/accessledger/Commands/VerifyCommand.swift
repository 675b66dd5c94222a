import AccessModel
import ArgumentParser
import LedgerStore
import PostgresClient

#if canImport(Glibc)
    import Glibc
#endif

/// `accessledger verify [--expect-head POSITION:HASH]`: re-checks the whole hash chain.
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

    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json.")
    var output: OutputFormat = .table

    func run() throws {
        let expected = try expectHead.map(VerifyCommand.parseHead)
        let connection = try database.open()
        defer { connection.close() }
        let store = EventStore(connection: connection)
        let progress = Progress(label: "verified")
        let report = try store.verify(expectHead: expected) { count in progress.update(count) }
        progress.finish()
        let head = report.head ?? (0, Hex.encode(EventHasher.genesis))
        switch output {
        case .json:
            print(
                OutputJSON.object([
                    ("ok", .bool(report.ok)),
                    ("events", .int(report.events)),
                    ("head", .object([("position", .int(head.position)), ("hash", .string(head.hash))])),
                    ("first_bad_position", report.firstBadPosition.map { .int($0) } ?? .null),
                    ("problem", .string(report.problem)),
                ]).rendered(), terminator: "")
        case .table:
            if report.ok {
                print("ok: \(report.events) events, hash chain intact")
                print("head: \(head.position):\(head.hash)")
            } else {
                print("FAILED at position \(report.firstBadPosition ?? 0): \(report.problem ?? "")")
                print("last good head: \(head.position):\(head.hash)")
            }
        }
        if !report.ok {
            Terminal.standardError.write(
                "error: verification failed at position \(report.firstBadPosition ?? 0): \(report.problem ?? "")\n")
            throw ExitCode(5)
        }
    }

    static func parseHead(_ text: String) throws -> (position: Int64, hash: [UInt8]) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let position = Int64(parts[0]), position >= 0, let hash = Hex.decode(parts[1]),
            hash.count == 32
        else {
            throw LedgerError.invalidInput(
                "invalid --expect-head \"\(text)\": expected POSITION:HASH as printed by verify "
                    + "(a position and 64 hex digits)")
        }
        return (position, hash)
    }
}

/// A progress line on stderr, shown only when stderr is a terminal and the work has taken more
/// than a second.
final class Progress {
    let label: String
    let start = Progress.now()
    var shown = false

    init(label: String) { self.label = label }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    func update(_ count: Int64, total: Int64? = nil) {
        guard Terminal.standardError.isTerminal else { return }
        let elapsed = Progress.now() - start
        guard elapsed > 1 else { return }
        shown = true
        let rate = Int64(Double(count) / elapsed)
        let of = total.map { " of \($0)" } ?? ""
        Terminal.standardError.write("\r\(label) \(count)\(of) events (\(rate)/s)   ")
    }

    func finish() {
        if shown { Terminal.standardError.write("\n") }
    }
}
