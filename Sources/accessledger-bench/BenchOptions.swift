/// The command line of `accessledger-bench` (run through `tools/bench`).
struct BenchOptions {
    var preset = Preset.quick
    var seed: UInt64 = 1
    /// `ACCESSLEDGER_DATABASE_URL`: the throwaway cluster the harness may create databases on.
    var conninfo: String
    /// The measurement phases to run (all by default).
    var phases = Set(Phase.allCases)
    /// Reuse the ledger an earlier run left on the same cluster instead of loading it again.
    var reuse = false

    /// The measurements, in the order they run.
    enum Phase: String, CaseIterable {
        case `import`, queries, asOf = "as-of", log, append, service, feed, report, everyone
    }

    static let usage = """
        usage: accessledger-bench [--quick | --medium | --full] [--seed N]

          --quick    about 10k events: proves the harness works (CI); no thresholds
          --medium   about 100k events, 2,000 users, 200 groups, 10,000 workspaces (minutes)
          --full     1,000,000 events, 10,000 users, 1,000 groups, 50,000 workspaces
          --seed N   seed of the generated organisation, history and samples (default 1)

        For developing the harness against a cluster of your own:
          --only P,Q  run only these phases: import, queries, as-of, log, append, service, feed,
                      report, everyone (everyone: sharing with Everyone in an organisation of
                      1,000 users, or 10,000 and 100,000 with --full; service: `accessledger serve` over HTTP; feed: `audit follow`, the
                      long poll and webhooks; report: `audit report` of the busiest workspace and
                      user, and of a workspace with 10,000 intervals; all three need the release
                      accessledger binary next to this one, as tools/bench builds it)
          --reuse     keep the bench_ledger (and bench_small) an earlier run loaded with the same
                      preset and seed instead of loading them again

        ACCESSLEDGER_DATABASE_URL must name a throwaway cluster: the harness creates and drops
        databases named bench_* on it. One JSON object per measurement goes to stdout, progress
        and the readable table to stderr.
        """

    /// Parses the arguments (without the program name).
    /// - Throws: ``BenchError`` with the usage for anything unknown.
    init(arguments: [String], environment: [String: String]) throws {
        guard let url = environment["ACCESSLEDGER_DATABASE_URL"], !url.isEmpty else {
            throw BenchError("ACCESSLEDGER_DATABASE_URL is not set (run the harness through tools/bench)")
        }
        conninfo = url
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--quick": preset = .quick
            case "--medium": preset = .medium
            case "--full": preset = .full
            case "--seed":
                guard let text = rest.popFirst(), let value = UInt64(text) else {
                    throw BenchError("--seed needs a non-negative integer\n" + BenchOptions.usage)
                }
                seed = value
            case "--only":
                guard let text = rest.popFirst() else { throw BenchError("--only needs a list of phases") }
                phases = []
                for name in text.split(separator: ",") {
                    guard let phase = Phase(rawValue: String(name)) else {
                        throw BenchError("unknown phase \"\(name)\"\n" + BenchOptions.usage)
                    }
                    phases.insert(phase)
                }
            case "--reuse": reuse = true
            default:
                throw BenchError("unknown argument \"\(argument)\"\n" + BenchOptions.usage)
            }
        }
    }
}
