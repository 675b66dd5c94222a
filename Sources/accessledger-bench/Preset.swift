/// The size of a generated organisation and history, and how long each measurement runs.
struct Preset: Sendable {
    /// `quick`, `full` or `tiny` (the small log `as_of` is compared with in quick mode).
    var name: String
    /// Users, the bootstrap owner and the IdP-sync account included; about 5% are service accounts.
    var users: Int
    /// Manual groups (sizes skewed: a few large ones, a long tail of small teams).
    var groups: Int
    /// Workspaces created over the whole history (a few are deleted again).
    var workspaces: Int
    /// Events to generate (approximately: generation stops at the first command past it).
    var events: Int
    /// Members of the largest group; group `r` (from 0) has about `largestGroup / (r+1)^0.9`.
    var largestGroup: Int
    /// Workspaces shared with `Everyone` (company-wide documentation and demo workspaces).
    var everyoneWorkspaces: Int

    /// Repetitions of each query measurement (after `queryWarmup` unmeasured ones).
    var queryRepetitions: Int
    var queryWarmup: Int
    /// Extra bulk imports (each into a fresh database) after the one that loads the ledger.
    var extraImports: Int
    /// Repetitions of replay, verify and the raw ordered read.
    var logRepetitions: Int
    /// Append runs: the first window is a warm-up, the rest are measured.
    var appendWindows: Int
    var appendWindowSeconds: Double
    /// The preset whose log `as_of` is compared with (10k events for `full`).
    var smallLog: String?
    /// `service`: requests of one round of each service measurement (its baseline sends as many),
    /// measured rounds (each gives one throughput sample) after an unmeasured warm-up of
    /// `serviceWarmup` requests, and the most seconds one round may last.
    var serviceRequests = 0
    var serviceRounds = 0
    var serviceWarmup = 0
    var serviceRoundSeconds = 0.0
    /// `report`: measured runs of each `audit report` (after one unmeasured warm-up).
    var reportRepetitions = 3

    /// About 10k events: proves the harness works (CI), no thresholds.
    static let quick = Preset(
        name: "quick", users: 500, groups: 40, workspaces: 1_500, events: 10_000, largestGroup: 80,
        everyoneWorkspaces: 1, queryRepetitions: 200, queryWarmup: 20, extraImports: 2, logRepetitions: 3,
        appendWindows: 4, appendWindowSeconds: 1, smallLog: "tiny", serviceRequests: 800, serviceRounds: 3,
        serviceWarmup: 200, serviceRoundSeconds: 10)

    /// 1,000,000 events, 10,000 users, 1,000 groups, 50,000 workspaces.
    static let full = Preset(
        name: "full", users: 10_000, groups: 1_000, workspaces: 50_000, events: 1_000_000, largestGroup: 1_500,
        everyoneWorkspaces: 5, queryRepetitions: 1_000, queryWarmup: 100, extraImports: 1, logRepetitions: 2,
        appendWindows: 6, appendWindowSeconds: 3, smallLog: "quick", serviceRequests: 10_000, serviceRounds: 5,
        serviceWarmup: 1_000, serviceRoundSeconds: 60, reportRepetitions: 5)

    /// About 100k events, between `quick` and `full`: a log long enough that the log phase
    /// measures reading and hashing rather than starting processes, in minutes.
    static let medium = Preset(
        name: "medium", users: 2_000, groups: 200, workspaces: 10_000, events: 100_000, largestGroup: 300,
        everyoneWorkspaces: 2, queryRepetitions: 300, queryWarmup: 30, extraImports: 0, logRepetitions: 3,
        appendWindows: 4, appendWindowSeconds: 1, smallLog: "quick", serviceRequests: 2_000, serviceRounds: 3,
        serviceWarmup: 200, serviceRoundSeconds: 20)

    /// About 1k events: the small log of `as_of` in quick mode.
    static let tiny = Preset(
        name: "tiny", users: 60, groups: 8, workspaces: 150, events: 1_000, largestGroup: 20,
        everyoneWorkspaces: 1, queryRepetitions: 0, queryWarmup: 0, extraImports: 0, logRepetitions: 0,
        appendWindows: 0, appendWindowSeconds: 0, smallLog: nil)

    static func named(_ name: String) -> Preset? {
        [quick, medium, full, tiny].first { $0.name == name }
    }
}
