/// `audit history` from what the stores keep (SPEC §5): the kept intervals of access rows (role,
/// held role, via) cut by the workspace's running and stopped spans, so that each result is a
/// maximal period of constant (role, live_role, state, via).
///
/// Stores keep the live role only while a revocation is pending (``AccessRow/heldRole``); the
/// rest of it follows from whether the workspace runs. This is where the two are put back
/// together over time, the way ``AccessRow/observed(running:)`` does for one moment.
public enum AccessPeriods {
    /// A point of the log: an event's position and when it occurred.
    public struct Point: Sendable, Hashable {
        public var position: Int64
        public var time: Timestamp

        public init(position: Int64, time: Timestamp) {
            self.position = position
            self.time = time
        }
    }

    /// One interval of a workspace's record, and whether it was running then.
    public struct Status: Sendable, Hashable {
        public var running: Bool
        public var from: Point
        public var to: Point?

        public init(running: Bool, from: Point, to: Point?) {
            self.running = running
            self.from = from
            self.to = to
        }
    }

    /// An access row over an interval of the log, from the event at `from` until the one at `to`
    /// (`nil` while current): as kept (read as running), the input of
    /// ``periods(kept:statuses:)``, or as it read, a period of SPEC's `audit history`, its output.
    public struct Period: Sendable, Hashable {
        public var row: AccessRow
        public var from: Point
        public var to: Point?

        public init(row: AccessRow, from: Point, to: Point?) {
            self.row = row
            self.from = from
            self.to = to
        }
    }

    /// The periods of every (workspace, user) in `kept`, ordered by start position, then
    /// workspace id, then user key.
    /// - Parameters:
    ///   - kept: kept intervals, any order.
    ///   - statuses: the intervals of each workspace's record by workspace id (any order); they
    ///     must cover the kept intervals of that workspace.
    public static func periods(kept: [Period], statuses: [Int64: [Status]]) -> [Period] {
        let runsByWorkspace = statuses.mapValues(runs)
        var byRow: [RowKey: [Period]] = [:]
        for interval in kept { byRow[RowKey(interval.row), default: []].append(interval) }
        var periods: [Period] = []
        for (key, intervals) in byRow {
            let runs = runsByWorkspace[key.workspaceID] ?? []
            var first = 0
            var own: [Period] = []
            for interval in intervals.sorted(by: { $0.from.position < $1.from.position }) {
                while first < runs.count, let end = runs[first].to, end.position <= interval.from.position {
                    first += 1
                }
                var index = first
                while index < runs.count, before(runs[index].from, interval.to) {
                    let run = runs[index]
                    let from = run.from.position > interval.from.position ? run.from : interval.from
                    let to = earlier(run.to, interval.to)
                    let row = interval.row.observed(running: run.running)
                    if let last = own.last, last.to?.position == from.position, last.row == row {
                        own[own.count - 1].to = to
                    } else {
                        own.append(Period(row: row, from: from, to: to))
                    }
                    index += 1
                }
            }
            periods += own
        }
        return periods.sorted {
            ($0.from.position, $0.row.workspaceID, $0.row.userKey) < (
                $1.from.position, $1.row.workspaceID, $1.row.userKey
            )
        }
    }

    /// Merges adjacent record intervals with the same running flag (renames and restarts do not
    /// change it).
    static func runs(_ statuses: [Status]) -> [Status] {
        var merged: [Status] = []
        for status in statuses.sorted(by: { $0.from.position < $1.from.position }) {
            if let last = merged.last, last.running == status.running, last.to?.position == status.from.position {
                merged[merged.count - 1].to = status.to
            } else {
                merged.append(status)
            }
        }
        return merged
    }

    /// Whether `point` comes before `end` (`nil` = still open).
    static func before(_ point: Point, _ end: Point?) -> Bool {
        guard let end else { return true }
        return point.position < end.position
    }

    /// The earlier of two ends (`nil` = still open).
    static func earlier(_ a: Point?, _ b: Point?) -> Point? {
        guard let a else { return b }
        guard let b else { return a }
        return a.position <= b.position ? a : b
    }

    struct RowKey: Hashable {
        var workspaceID: Int64
        var userKey: String
        init(_ row: AccessRow) {
            workspaceID = row.workspaceID
            userKey = row.userKey
        }
    }
}
