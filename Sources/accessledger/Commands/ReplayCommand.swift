import ArgumentParser
import LedgerService
import LedgerStore

/// `accessledger replay [--verify]`: rebuild every projection from the log, or compare only.
///
/// `--verify` JSON (SPEC §5): `{"ok", "events", "differences": [TEXT, ...]}`; exit 5 when any.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild every projection from the log and swap it in atomically (or --verify: compare only).",
        discussion: """
            Runs as the tables' owner and holds the append lock: commands wait until it is done. \
            Readers keep seeing the old projections until the swap commits.
            """)

    @Flag(help: "Rebuild into a scratch schema, list every difference from the live projections, change nothing.")
    var verify = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let source = database.source
        let replay = Replay { try LedgerDatabase.connect(source) }
        let progress = Progress(label: verify ? "replayed (verify)" : "replayed")
        let start = Progress.now()
        let report =
            try verify
            ? replay.verify { count, total in progress.update(count, total: total) }
            : replay.run { count, total in progress.update(count, total: total) }
        progress.finish()
        let seconds = Progress.now() - start
        switch format.output {
        case .json:
            print(JSONShapes.replay(report, verify: verify).rendered(), terminator: "")
        case .table:
            let rate = seconds > 0 ? " (\(Int(Double(report.events) / seconds)) events/s)" : ""
            if !verify {
                print("rebuilt every projection from \(report.events) events in \(formatSeconds(seconds))\(rate)")
            } else if report.ok {
                print("ok: the projections are exactly what \(report.events) events give")
            } else {
                print("\(report.differences.count) differences from what \(report.events) events give:")
                for difference in report.differences { print("  " + difference) }
            }
        }
        if !report.ok {
            throw LedgerError.verificationFailed(
                "the projections differ from the log in \(report.differences.count) places; "
                    + "run `accessledger replay` to rebuild them")
        }
    }
}

func formatSeconds(_ seconds: Double) -> String {
    seconds < 1 ? "\(Int(seconds * 1000)) ms" : "\(Int(seconds * 10) / 10).\(Int(seconds * 10) % 10) s"
}
