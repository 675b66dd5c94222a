import AccessModel
import LedgerStore
import PostgresClient
import TestSupport
import Testing

/// A command decides against remembered reads and sends its events, projection writes and
/// intervals as set-based statements in one pipeline: few round trips whatever it writes, one
/// transaction, the same tables as a replay.
@Suite("Commands in one pipeline")
struct StagedCommandTests {
    /// admin; `users` plain users; group `devs` holding the first half of them; `svc/ws` running.
    static func world(_ ledger: Ledger, users: Int) throws {
        try ledger.execute(.createUser(username: "admin", serviceAccount: false, role: nil), actor: nil)
        try ledger.execute(.createUser(username: "svc", serviceAccount: true, role: nil), actor: "admin")
        for index in 0..<users {
            try ledger.execute(.createUser(username: "user-\(index)", serviceAccount: false, role: nil), actor: "admin")
        }
        try ledger.execute(.createGroup(name: "devs"), actor: "admin")
        try ledger.execute(
            .editGroup(name: "devs", addUsers: (0..<users / 2).map { "user-\($0)" }, removeUsers: []), actor: "admin")
        try ledger.execute(.createWorkspace(workspace: "svc/ws", template: "t"), actor: "admin")
        try ledger.execute(.startWorkspace(workspace: "svc/ws"), actor: "admin")
    }

    /// Round trips of one command on `connection` (BEGIN and COMMIT included).
    static func roundTrips(_ connection: Connection, _ body: () throws -> Void) rethrows -> Int {
        let before = connection.roundTrips
        try body()
        return connection.roundTrips - before
    }

    /// The live tables equal a replay of the log in memory, and `access_history` holds exactly
    /// the intervals the replay's access changes describe.
    static func expectLiveEqualsReplay(_ connection: Connection) throws {
        let replayed = InMemoryLedger()
        try EventStore(connection: connection).forEachEvent { event in try Projection.apply(event, to: replayed) }
        #expect(try PostgresLedger(connection: connection).snapshot() == replayed.snapshot())
        let intervals = try connection.query(
            "SELECT workspace_id, user_key, from_position FROM access_history ORDER BY 3, 1, 2"
        ).rows.map { "\($0[0] ?? "")/\($0[1] ?? "")@\($0[2] ?? "")" }
        let expected = replayed.accessChanges.filter { $0.row != nil }
            .sorted { ($0.position, $0.workspaceID, $0.userKey) < ($1.position, $1.workspaceID, $1.userKey) }
            .map { "\($0.workspaceID)/\($0.userKey)@\($0.position)" }
        #expect(intervals == expected)
    }

    @Test func aShareCostsTheSameFewRoundTripsForOneUserAndForEveryone() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        let ledger = Ledger(connection: connection)
        try Self.world(ledger, users: 300)

        let one = try Self.roundTrips(connection) {
            try ledger.execute(.share(workspace: "svc/ws", users: ["user-0:admin"], groups: []), actor: "admin")
        }
        let group = try Self.roundTrips(connection) {
            try ledger.execute(.share(workspace: "svc/ws", users: [], groups: ["devs"]), actor: "admin")
        }
        let everyone = try Self.roundTrips(connection) {
            try ledger.execute(.share(workspace: "svc/ws", users: [], groups: ["Everyone"]), actor: "admin")
        }
        let rows = try connection.query("SELECT count(*) FROM access WHERE workspace_id = 1").first?.int64(0)
        #expect(rows == 301, "every active user but the owner's service account holds a row, admin included")
        // BEGIN, the lock and what the command names; then the writes and COMMIT.
        #expect(one == 2, "one user: \(one) round trips")
        // …and the members' rows on the workspace (a group's members come with its name).
        #expect(group == 3, "a group of 150: \(group) round trips")
        // …and every active user, then their rows.
        #expect(everyone == 4, "Everyone, 301 rows: \(everyone) round trips")

        let unshare = try Self.roundTrips(connection) {
            try ledger.execute(.unshare(workspace: "svc/ws", users: [], groups: ["Everyone"]), actor: "admin")
        }
        // …and the workspace's rows, then their users.
        #expect(unshare == 4, "unsharing Everyone: \(unshare) round trips")
        let pending = try connection.query("SELECT count(*) FROM access WHERE held_role IS NOT NULL").first?.int64(0)
        #expect(pending == 151, "admin and those in neither devs nor the ACL keep live access until the restart")
        // The rows pending revocation come with the lock.
        let restart = try Self.roundTrips(connection) {
            try ledger.execute(.restartWorkspace(workspace: "svc/ws"), actor: "admin")
        }
        #expect(restart == 2, "restart: \(restart) round trips")
        #expect(try connection.query("SELECT count(*) FROM access WHERE held_role IS NOT NULL").first?.int64(0) == 0)
        try Self.expectLiveEqualsReplay(connection)
    }

    @Test func aCommandWritingTheSameRowsTwiceLeavesWhatAReplayLeaves() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        let ledger = Ledger(connection: connection)
        try Self.world(ledger, users: 6)
        try ledger.execute(.share(workspace: "svc/ws", users: ["user-0:admin"], groups: ["devs"]), actor: "admin")
        // One command, three events on the same rows: unshare user-0, share user-4, restart.
        let outcome = try ledger.execute(
            .rotate(workspace: "svc/ws", outgoing: "user-0", incoming: "user-4", restart: true), actor: "admin")
        #expect(outcome.events.count >= 3)
        #expect(outcome.restartRequired.isEmpty, "the restart in the same command ended the pending row")
        try ledger.execute(.stopWorkspace(workspace: "svc/ws"), actor: "admin")
        try ledger.execute(.deleteUser(username: "user-1"), actor: "admin")
        try ledger.execute(.syncGroups(user: "user-2", groups: ["ops"], createMissing: true), actor: "admin")
        try ledger.execute(.renameWorkspace(workspace: "svc/ws", newName: "ws2"), actor: "admin")
        try ledger.execute(.createWorkspace(workspace: "svc/ws", template: "t"), actor: "admin")
        try Self.expectLiveEqualsReplay(connection)
        #expect(try EventStore(connection: connection).verify().ok)
    }

    @Test func aFailureInTheMiddleOfThePipelineLeavesNothing() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let connection = try db.connectAsApp()
        let ledger = Ledger(connection: connection)
        try Self.world(ledger, users: 4)
        let owner = try db.connect()
        defer { owner.close() }
        // The pipeline sends the events, then the projections, then the intervals: fail the last.
        try owner.query(
            """
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused by the test'; END $$
            """)
        try owner.query(
            """
            CREATE TRIGGER refuse BEFORE INSERT ON access_history FOR EACH ROW
            WHEN (NEW.user_key = 'user-3') EXECUTE FUNCTION refuse()
            """)
        let events = try connection.query("SELECT count(*) FROM ledger_events").first?.int64(0)
        let before = try PostgresLedger(connection: connection).snapshot()
        let intervals = try connection.query("SELECT count(*) FROM access_history").first?.int64(0)
        #expect(throws: LedgerError.self) {
            try ledger.execute(.share(workspace: "svc/ws", users: ["user-2", "user-3"], groups: []), actor: "admin")
        }
        #expect(!connection.inTransaction)
        #expect(try connection.query("SELECT count(*) FROM ledger_events").first?.int64(0) == events)
        #expect(try PostgresLedger(connection: connection).snapshot() == before)
        #expect(try connection.query("SELECT count(*) FROM access_history").first?.int64(0) == intervals)
        // The next command goes through.
        try ledger.execute(.share(workspace: "svc/ws", users: ["user-2"], groups: []), actor: "admin")
        try Self.expectLiveEqualsReplay(connection)
    }
}
