import AccessModel
import PostgresClient

/// The point of the log an answer reflects (`as_of` in SPEC §5 JSON).
public struct AsOf: Sendable, Equatable {
    /// Position of the last event included (0 for an empty log).
    public var position: Int64
    /// Its `occurred_at` (`nil` for an empty log).
    public var time: Timestamp?

    public init(position: Int64, time: Timestamp?) {
        self.position = position
        self.time = time
    }
}

/// One row of `accessledger list`.
public struct WorkspaceListing: Sendable, Equatable {
    public var workspace: WorkspaceRecord
    /// The ACL is not empty.
    public var shared: Bool
}

/// One row of `groups list`.
public struct GroupListing: Sendable, Equatable {
    public var group: GroupRecord
    /// Active members (for `Everyone`: every active user).
    public var memberCount: Int
    /// Usernames of the members as stored (empty for `Everyone`, whose members are implicit).
    public var members: [String]
}

/// What a mutating command did.
public struct CommandOutcome: Sendable, Equatable {
    /// The events appended (empty for a no-op).
    public var events: [RecordedEvent]
    /// The workspaces (`owner/name`, sorted) where this command left someone pending revocation:
    /// they keep live access until the workspace restarts.
    public var restartRequired: [String] = []
    public var isNoOp: Bool { events.isEmpty }

    public init(events: [RecordedEvent], restartRequired: [String] = []) {
        self.events = events
        self.restartRequired = restartRequired
    }
}

/// Forwards interval changes to `base` and notes the workspaces where an access row became
/// pending revocation, for ``CommandOutcome/restartRequired``.
final class PendingRevocationWatch: HistorySink {
    let base: any HistorySink
    private(set) var workspaceIDs: Set<Int64> = []

    init(base: any HistorySink) { self.base = base }

    func change(_ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp) {
        base.change(table, key: key, values: values, position: position, time: time)
    }

    func changeAccess(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp) {
        if row?.state == .pendingRevocation { workspaceIDs.insert(workspaceID) }
        base.changeAccess(workspaceID: workspaceID, userKey: userKey, row: row, position: position, time: time)
    }
}

/// The ledger over one database connection: commands (decide → append → project, one
/// transaction) and the read side the CLI prints.
public struct Ledger {
    public let connection: Connection

    public init(connection: Connection) { self.connection = connection }

    // MARK: Commands

    /// Runs one command as `actor`: under the append lock, ``Rules/decide(_:actor:reader:)``
    /// reads the projections and decides the events; they are appended with hashes and applied
    /// by ``Projection`` to the same tables, all in one transaction. A refused command appends
    /// nothing.
    /// - Throws: ``LedgerError`` with the exit code of SPEC §5.
    @discardableResult
    public func execute(
        _ command: Command, actor: String?, reason: String? = nil, occurredAt: Timestamp? = nil, token: String? = nil
    ) throws -> CommandOutcome {
        try Ledger.mapErrors {
            try connection.transaction(lazyBegin: true) { tx in
                try Ledger(connection: tx).run(
                    command, actor: actor, reason: reason, occurredAt: occurredAt, token: token, commit: true)
            }
        }
    }

    /// Runs one command like ``execute(_:actor:reason:occurredAt:token:)``, inside the caller's
    /// open transaction (the service commits several commands in one, each under a savepoint).
    /// - Throws: ``LedgerError``; the caller rolls back (to its savepoint) on any error.
    @discardableResult
    public func executeInTransaction(
        _ command: Command, actor: String?, reason: String? = nil, occurredAt: Timestamp? = nil, token: String? = nil
    ) throws -> CommandOutcome {
        precondition(connection.inTransaction, "executeInTransaction needs an open transaction")
        return try Ledger.mapErrors {
            try run(command, actor: actor, reason: reason, occurredAt: occurredAt, token: token)
        }
    }

    /// Decides and projects against a ``StagedLedger`` (reads remembered, writes kept), then
    /// sends the events, the projection writes, the intervals and the rest in one pipeline.
    ///
    /// So a command costs a round trip for the lock and what the command names (its
    /// ``CommandFootprint``), one per set of rows it needs beyond them, and one for all it
    /// writes, with `COMMIT` when `commit` is set (the transaction is the command's own).
    private func run(
        _ command: Command, actor: String?, reason: String?, occurredAt: Timestamp?, token: String?,
        commit: Bool = false
    ) throws -> CommandOutcome {
        let store = EventStore(connection: connection)
        let footprint = command.footprint
        let staged = StagedLedger(base: PostgresLedger(connection: connection))
        let reads = StagedLedger.reads(of: footprint, actor: actor)
        let (lock, read) = try store.lockForAppend(then: reads.map(\.statement))
        var context = lock
        let versions = try staged.remember(
            Dictionary(uniqueKeysWithValues: zip(reads.map(\.read), read)), of: footprint, actor: actor)
        let history = StagedHistory()
        let watch = PendingRevocationWatch(base: history)
        let projections = HistoryTrackingLedger(base: staged, sink: watch)
        let decision = try Rules.decide(command, actor: actor, reader: staged)
        guard !decision.isNoOp else { return CommandOutcome(events: []) }
        let recorded = try store.chain(
            decision.newEvents,
            metadata: EventMetadata(actor: decision.actor, reason: reason, occurredAt: occurredAt, token: token),
            context: &context, knownVersions: versions)
        for (event, record) in zip(decision.events, recorded) {
            try projections.apply(event, position: record.position, occurredAt: record.occurredAt)
        }
        // The events, the projections, their intervals, the projections' position, the wake-up
        // of every follower (delivered by PostgreSQL at COMMIT), the webhook deliveries and
        // (when this command left someone pending) which workspaces still need a restart.
        var statements = EventStore.insertStatements(recorded) + staged.statements()
            + history.statements(hasNoOpenInterval: staged.hasNoOpenInterval)
        statements += [
            Statement("UPDATE projection_state SET position = $1", [context.position]),
            Statement("SELECT pg_notify($1, $2)", [EventFeedChannel.name, String(context.position)]),
        ]
        statements += Ledger.webhookDelivery(for: command, decided: zip(decision.events, recorded))
        if !watch.workspaceIDs.isEmpty { statements.append(Ledger.stillPending(watch.workspaceIDs)) }
        if commit { statements.append(Statement("COMMIT")) }
        let results = try EventStore.mapConflicts { try connection.pipeline(statements) }
        let pending =
            watch.workspaceIDs.isEmpty ? [] : try results[results.count - (commit ? 2 : 1)].rows.map { try $0.string(0) }
        return CommandOutcome(events: recorded, restartRequired: pending)
    }

    /// Selects those of `workspaceIDs` that have a row pending revocation now (a command may end
    /// what it began, e.g. a rotation that restarts), as sorted `owner/name`.
    static func stillPending(_ workspaceIDs: Set<Int64>) -> Statement {
        Statement(
            """
            SELECT w.owner || '/' || w.name FROM workspaces w
            WHERE w.id = ANY($1::bigint[])
              AND EXISTS (SELECT 1 FROM access a WHERE a.workspace_id = w.id AND a.held_role IS NOT NULL)
            ORDER BY lower(w.owner || '/' || w.name) COLLATE "C"
            """, [workspaceIDs.sorted().map(String.init)])
    }

    /// Translates domain and database errors into ``LedgerError``.
    static func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let refusal as Refusal {
            switch refusal.kind {
            case .invalidInput: throw LedgerError.invalidInput(refusal.message)
            case .notPermitted: throw LedgerError.notPermitted(refusal.message)
            }
        } catch let error as PostgresError {
            throw LedgerError(error)
        } catch let error as ProjectionError {
            throw LedgerError.internal("projection failed: \(error)")
        } catch let error as EventDecodingError {
            throw LedgerError.verificationFailed(
                "the log holds an event accessledger cannot have written: \(error) (run `accessledger verify`)")
        } catch let error as UnreadableEvent {
            throw LedgerError.verificationFailed(error.description)
        }
    }
}
