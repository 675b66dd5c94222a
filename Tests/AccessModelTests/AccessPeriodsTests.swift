import Testing

@testable import AccessModel

/// `audit history` periods from kept intervals and a workspace's running spans, without a database.
@Suite struct AccessPeriodsTests {
    func point(_ position: Int64) -> AccessPeriods.Point {
        AccessPeriods.Point(position: position, time: Timestamp(microseconds: position * 1_000_000))
    }

    func kept(
        _ user: String, _ role: WorkspaceRole?, held: WorkspaceRole? = nil, via: [String] = ["user"], _ from: Int64,
        _ to: Int64?, workspace: Int64 = 1
    ) -> AccessPeriods.Period {
        AccessPeriods.Period(
            row: AccessRow(
                workspaceID: workspace, username: user, role: role, heldRole: held, via: role == nil ? [] : via,
                running: true), from: point(from), to: to.map(point))
    }

    func status(_ running: Bool, _ from: Int64, _ to: Int64?) -> AccessPeriods.Status {
        AccessPeriods.Status(running: running, from: point(from), to: to.map(point))
    }

    /// (user, role, live, state, from, to) of each period.
    func summary(_ periods: [AccessPeriods.Period]) -> [String] {
        periods.map {
            "\($0.row.username) \($0.row.role?.rawValue ?? "-") \($0.row.liveRole?.rawValue ?? "-") "
                + "\($0.row.state.rawValue) \($0.from.position)-\($0.to.map { String($0.position) } ?? "")"
        }
    }

    @Test func stopsAndStartsCutAKeptIntervalAndRestartsAndRenamesDoNot() {
        // Created at 1 (running); renamed at 3 and restarted at 4 (new record intervals, still
        // running); stopped at 5; started at 7; deleted at 9.
        let statuses = [
            status(true, 1, 3), status(true, 3, 4), status(true, 4, 5), status(false, 5, 7), status(true, 7, 9),
            status(false, 9, nil),
        ]
        let periods = AccessPeriods.periods(kept: [kept("alice", .admin, 2, 9)], statuses: [1: statuses])
        #expect(
            summary(periods) == [
                "alice admin admin active 2-5", "alice admin - active 5-7", "alice admin admin active 7-9",
            ])
    }

    @Test func aPendingRowEndsAtTheRestartAndAnOpenIntervalStaysOpen() {
        // bob: use from 2; removed at 4 (held use); the restart at 6 ends it. carol: from 3, open.
        let statuses = [status(true, 1, 6), status(true, 6, nil)]
        let periods = AccessPeriods.periods(
            kept: [
                kept("carol", .use, 3, nil), kept("bob", .use, 2, 4), kept("bob", nil, held: .use, 4, 6),
            ], statuses: [1: statuses])
        #expect(
            summary(periods) == [
                "bob use use active 2-4", "carol use use active 3-", "bob - use pending_revocation 4-6",
            ])
    }

    @Test func periodsAreOrderedByStartThenWorkspaceThenUser() {
        let running = [status(true, 1, nil)]
        let periods = AccessPeriods.periods(
            kept: [
                kept("bob", .use, 5, nil, workspace: 2), kept("alice", .use, 5, nil, workspace: 2),
                kept("zed", .use, 5, nil, workspace: 1), kept("amy", .use, 2, nil, workspace: 2),
            ], statuses: [1: running, 2: running])
        #expect(periods.map { "\($0.row.workspaceID)/\($0.row.username)" } == ["2/amy", "1/zed", "2/alice", "2/bob"])
    }

    /// Kept form and read form agree: what a store keeps reads back as the row that was written.
    @Test(arguments: [WorkspaceRole?.none, .use, .admin])
    func keptRowsReadBackAsWritten(_ role: WorkspaceRole?) {
        for live in [WorkspaceRole?.none, .use, .admin] {
            for running in [true, false] {
                // Rows that exist: live is none exactly when stopped; live is at least role when running.
                guard running == (live != nil), role != nil || live != nil else { continue }
                if running, WorkspaceRole.isHigher(role, than: live) { continue }
                let row = AccessRow(workspaceID: 1, username: "u", role: role, liveRole: live, via: [])
                #expect(
                    row.observed(running: running) == row,
                    "role \(String(describing: role)), live \(String(describing: live))")
                #expect((row.heldRole != nil) == (row.state == .pendingRevocation))
            }
        }
    }
}
