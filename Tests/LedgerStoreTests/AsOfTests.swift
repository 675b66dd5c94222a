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
        _ = try Replay(events: try db.connect(), target: owner).run()

        let ledger = Ledger(connection: try db.connectAsApp())
        let memory = InMemoryLedger()
        var compared = 0
        for event in try EventStore(connection: owner).events() {
            try Projection.apply(event, to: memory)
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
