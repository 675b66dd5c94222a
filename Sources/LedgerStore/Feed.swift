import AccessModel
import PostgresClient

/// The channel appending transactions NOTIFY with their new head (the payload is the position);
/// PostgreSQL delivers it at COMMIT, so a follower that wakes finds the events committed.
public enum EventFeedChannel {
    public static let name = "accessledger_events"
}

/// One running workspace with someone pending revocation (SPEC §8, the restart queue).
public struct PendingRevocation: Sendable, Equatable {
    public struct User: Sendable, Equatable {
        public var username: String
        public var liveRole: WorkspaceRole
        /// Since when the user has been pending revocation (without a break).
        public var since: AsOf
    }
    public var workspace: String
    /// Sorted by username.
    public var users: [User]
    /// The earliest `since` of the users.
    public var oldest: AsOf
}

extension EventStore {
    /// At most `limit` events after position `after`, in log order.
    public func events(after: Int64, limit: Int) throws -> [RecordedEvent] {
        try connection.query(
            "SELECT \(EventStore.columns) FROM ledger_events WHERE position > $1 ORDER BY position LIMIT $2",
            [after, Int64(limit)]
        ).rows.map(EventStore.decode)
    }

    /// The position of the last event (0 for an empty log).
    public func headPosition() throws -> Int64 {
        try connection.query("SELECT coalesce(max(position), 0) FROM ledger_events").first?.int64(0) ?? 0
    }
}

extension Ledger {
    /// The restart queue at a point of the log (now by default): every running workspace on which
    /// someone is pending revocation, oldest first, with since when each user has been.
    ///
    /// A pending interval may be split by later changes that keep it pending (a role change, a
    /// group edit); `since` is the start of the unbroken run of pending intervals that reaches
    /// the point asked about. Read through the GiST index of pending intervals.
    public func pendingRevocations(at point: LogPoint? = nil) throws -> ([PendingRevocation], AsOf) {
        try snapshot(at: point) { reader, asOf in
            let rows = try connection.query(
                """
                WITH pending AS (
                    SELECT workspace_id, user_key FROM access_history a
                    WHERE a.held_role IS NOT NULL AND \(HistoricalLedger.during("a"))
                )
                SELECT h.workspace_id, h.user_key, h.username, h.held_role, h.from_position,
                       (extract(epoch FROM h.from_time) * 1000000)::bigint, h.to_position
                FROM access_history h JOIN pending p USING (workspace_id, user_key)
                WHERE h.from_position <= $1
                ORDER BY h.workspace_id, h.user_key, h.from_position DESC
                """, [asOf.position])
            // Walk each (workspace, user) back from the point while the intervals stay pending
            // and touch one another: the run's first interval is when the user became pending.
            struct Key: Hashable {
                var workspaceID: Int64
                var userKey: String
            }
            struct Run {
                var username: String
                var liveRole: String
                var from: Int64
                var time: Int64
                var ended = false
            }
            var runs: [Key: Run] = [:]
            var order: [Key] = []
            for row in rows.rows {
                let key = Key(workspaceID: try row.int64(0), userKey: try row.string(1))
                let held = row[3]
                let from = try row.int64(4)
                guard var run = runs[key] else {
                    // The interval containing the point: pending by the query's condition.
                    guard let held else { continue }
                    runs[key] = Run(username: try row.string(2), liveRole: held, from: from, time: try row.int64(5))
                    order.append(key)
                    continue
                }
                guard !run.ended else { continue }
                if held != nil, try row.optionalInt64(6) == run.from {
                    run.from = from
                    run.time = try row.int64(5)
                } else {
                    run.ended = true
                }
                runs[key] = run
            }
            var byWorkspace: [Int64: [PendingRevocation.User]] = [:]
            for key in order {
                guard let run = runs[key], let role = WorkspaceRole(rawValue: run.liveRole) else { continue }
                byWorkspace[key.workspaceID, default: []].append(
                    PendingRevocation.User(
                        username: run.username, liveRole: role,
                        since: AsOf(position: run.from, time: Timestamp(microseconds: run.time))))
            }
            var queue: [PendingRevocation] = []
            for (id, users) in byWorkspace {
                guard let workspace = try reader.workspace(id: id), workspace.status == .running else { continue }
                let sorted = users.sorted { Name.key($0.username) < Name.key($1.username) }
                guard let oldest = sorted.map(\.since).min(by: { $0.position < $1.position }) else { continue }
                queue.append(PendingRevocation(workspace: workspace.reference, users: sorted, oldest: oldest))
            }
            queue.sort { ($0.oldest.position, $0.workspace) < ($1.oldest.position, $1.workspace) }
            return (queue, asOf)
        }
    }
}
