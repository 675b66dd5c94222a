import AccessModel
import LedgerStore
import PostgresClient
import TestSupport
import Testing

/// `--at-position` answers, at every position of a random history, equal an independent replay
/// of the log in memory up to that position.
@Suite("As-of answers from the temporal tables")
struct AsOfTests {
    static let searches = [
        "shared:true", "shared:false", "status:stopped", "pending_revocation:true", "pending_revocation:false",
        "shared_with_user:bob", "shared_with_group:g1", "has_access:carol", "owner:svc w",
    ]

    @Test func everyPositionOfARandomHistoryMatchesAnInMemoryReplay() throws {
        var random = SplitMix64(seed: 2026)
        var time = Timestamp(rfc3339: "2026-01-01T00:00:00Z") ?? Timestamp(microseconds: 0)
        var items = [
            ImportItem(
                command: .createUser(username: "root", serviceAccount: false, role: nil), actor: nil,
                occurredAt: time)
        ]
        for user in RandomCommands.users {
            items.append(
                ImportItem(
                    command: .createUser(username: user, serviceAccount: user == "svc", role: nil),
                    actor: "root", occurredAt: time))
        }
        for _ in 0..<12_000 {
            time.microseconds += Int64(random.below(3)) * 60_000_000
            items.append(
                ImportItem(
                    command: RandomCommands.next(&random), actor: random.pick(RandomCommands.actors),
                    occurredAt: time))
        }
        let db = try TestDatabase.create()
        defer { db.drop() }
        let owner = try db.connect()
        let report = try Importer(connection: owner).run(items)
        #expect(report.events >= 2_000, "\(report)")
        _ = try Replay(connect: db.connect).run()

        let ledger = Ledger(connection: try db.connectAsApp())
        let memory = InMemoryLedger()
        var compared = 0
        var periods = ExpectedPeriods()
        for event in try EventStore(connection: owner).events() {
            try Projection.apply(event, to: memory)
            periods.observe(memory, at: event.position)
            let point = LogPoint.position(event.position)
            let live = memory.allWorkspaces().filter { $0.status != .deleted }
            let (listing, asOf) = try ledger.listWorkspaces(search: nil, at: point)
            #expect(asOf == AsOf(position: event.position, time: event.occurredAt))
            #expect(
                listing.map(\.workspace) == live.sorted { $0.reference.lowercased() < $1.reference.lowercased() },
                "list at \(event.position)")
            #expect(listing.map(\.shared) == listing.map { !memory.acl(workspaceID: $0.workspace.id).isEmpty })
            for workspace in live {
                let (status, _) = try ledger.sharingStatus(workspace.reference, at: point)
                let expected = try SharingStatus(of: workspace, reader: memory)
                #expect(status == expected, "status of \(workspace.reference) at \(event.position)")
                compared += 1
            }
            if event.position % 7 == 0 {
                for search in Self.searches {
                    guard let query = try? SearchQuery.parse(search, checkingNamesIn: memory) else {
                        #expect(throws: LedgerError.self) { try ledger.listWorkspaces(search: search, at: point) }
                        continue
                    }
                    let expected = live.filter {
                        query.matches(
                            $0, acl: memory.acl(workspaceID: $0.id), access: memory.accessRows(workspaceID: $0.id))
                    }.map(\.id).sorted()
                    let got = try ledger.listWorkspaces(search: search, at: point).0.map(\.workspace.id).sorted()
                    #expect(got == expected, "\(search) at \(event.position)")
                }
            }
        }
        #expect(compared > 2_000)

        // audit history, per user, equals the maximal runs of the rows seen at every position.
        let history = AuditHistory(connection: try db.connectAsApp())
        var intervals = 0
        for user in ["root"] + RandomCommands.users {
            let got = try history.intervals(of: .user(user)).map {
                ExpectedPeriods.Period(
                    workspace: $0.workspace,
                    row: [$0.role?.rawValue, $0.liveRole?.rawValue, $0.state.rawValue]
                        + $0.via, from: $0.from.position, to: $0.to?.position)
            }
            let expected = periods.closed(user: Name.key(user), names: memory)
            #expect(got == expected, "audit history of \(user)")
            intervals += got.count
        }
        #expect(intervals > 200, "the history exercised audit history (\(intervals) intervals)")
        // Now equals the latest position, and a time between events means the event before it.
        let head = try #require(try EventStore(connection: owner).head())
        let (now, nowAsOf) = try ledger.listWorkspaces(search: nil)
        #expect(try ledger.listWorkspaces(search: nil, at: .position(head.position)).0 == now)
        #expect(nowAsOf.position == head.position)
        let events = try EventStore(connection: owner).events()
        let middle = events[events.count / 2]
        let justAfter = Timestamp(microseconds: middle.occurredAt.microseconds + 1)
        let atTime = try ledger.listWorkspaces(search: nil, at: .time(justAfter)).1
        #expect(atTime.time == middle.occurredAt)
        #expect(atTime.position == events.last { $0.occurredAt == middle.occurredAt }?.position)
        let beyond = #expect(throws: LedgerError.self) {
            try ledger.sharingStatus("svc/w1", at: .position(head.position + 1))
        }
        #expect(beyond?.exitCode == 2)
        #expect(try ledger.listWorkspaces(search: nil, at: .position(0)).0.isEmpty)
    }
}

/// Maximal periods of constant access rows, found by looking at every position of an in-memory
/// replay (independently of how the store keeps them).
struct ExpectedPeriods {
    struct Period: Equatable, CustomStringConvertible {
        var workspace: String
        var row: [String?]
        var from: Int64
        var to: Int64?
        var description: String { "\(workspace) \(row) [\(from), \(to.map(String.init) ?? "-"))" }
    }

    struct Key: Hashable {
        var workspaceID: Int64
        var userKey: String
    }

    private var open: [Key: (row: [String?], from: Int64)] = [:]
    private var done: [(Key, [String?], Int64, Int64?)] = []

    mutating func observe(_ memory: InMemoryLedger, at position: Int64) {
        var now: [Key: [String?]] = [:]
        for workspace in memory.allWorkspaces() {
            for row in memory.accessRows(workspaceID: workspace.id) {
                now[Key(workspaceID: workspace.id, userKey: row.userKey)] =
                    [row.role?.rawValue, row.liveRole?.rawValue, row.state.rawValue] + row.via
            }
        }
        for (key, interval) in open where now[key] != interval.row {
            done.append((key, interval.row, interval.from, position))
            open[key] = nil
        }
        for (key, row) in now where open[key] == nil { open[key] = (row, position) }
    }

    /// The periods of one user, ordered as `audit history` orders them.
    func closed(user: String, names memory: InMemoryLedger) -> [Period] {
        let all = done + open.map { ($0.key, $0.value.row, $0.value.from, nil) }
        return all.filter { $0.0.userKey == user }
            .sorted { ($0.2, $0.0.workspaceID) < ($1.2, $1.0.workspaceID) }
            .map { key, row, from, to in
                Period(
                    workspace: memory.workspace(id: key.workspaceID)?.reference ?? "?", row: row, from: from, to: to)
            }
    }
}
