import AccessModel
import PostgresClient

/// A webhook with the state of its delivery (`webhooks list`).
public struct WebhookStatus: Sendable, Equatable {
    public var webhook: WebhookRecord
    /// The last position delivered with a 2xx (or skipped as not matching its types).
    public var cursor: Int64
    /// Matching events after the cursor, still to deliver.
    public var lag: Int64
    public var attempts: Int
    public var lastError: String?
    public var lastAttemptAt: Timestamp?
    public var deliveredAt: Timestamp?

    public init(
        webhook: WebhookRecord, cursor: Int64, lag: Int64, attempts: Int, lastError: String?,
        lastAttemptAt: Timestamp?, deliveredAt: Timestamp?
    ) {
        self.webhook = webhook
        self.cursor = cursor
        self.lag = lag
        self.attempts = attempts
        self.lastError = lastError
        self.lastAttemptAt = lastAttemptAt
        self.deliveredAt = deliveredAt
    }
}

/// What the delivery loop needs of a webhook: where, which events, the secret, and from where.
public struct WebhookTarget: Sendable, Equatable {
    public var webhook: WebhookRecord
    public var secret: String
    public var cursor: Int64
    /// The position of the `webhook_added` event: a webhook added again under the same name is a
    /// new webhook with a cursor of its own.
    public var addedPosition: Int64
}

extension Ledger {
    /// The statements that keep `webhook_delivery` in step with a command's webhook events: a new
    /// webhook's secret and a cursor at its own event (it receives what comes after), and a
    /// removed webhook's row deleted. They run in the command's transaction.
    static func webhookDelivery(
        for command: Command, decided: some Sequence<(LedgerEvent, RecordedEvent)>
    ) -> [Statement] {
        var statements: [Statement] = []
        for (event, record) in decided {
            switch event {
            case .webhookAdded(let webhook):
                guard case .addWebhook(_, _, _, let secret) = command else { continue }
                statements.append(
                    Statement(
                        """
                        INSERT INTO webhook_delivery (key, added_position, secret, position)
                        VALUES ($1, $2, $3, $2)
                        ON CONFLICT (key) DO UPDATE SET added_position = EXCLUDED.added_position,
                            secret = EXCLUDED.secret, position = EXCLUDED.position, attempts = 0,
                            last_error = NULL, last_attempt_at = NULL, delivered_at = NULL
                        """, [webhook.key, record.position, secret]))
            case .webhookRemoved(let name):
                statements.append(Statement("DELETE FROM webhook_delivery WHERE key = $1", [Name.key(name)]))
            default:
                continue
            }
        }
        return statements
    }

    /// Every webhook with its cursor, lag and last error, sorted by name.
    public func webhookStatuses() throws -> [WebhookStatus] {
        try Ledger.mapErrors {
            try connection.query(
                """
                SELECT w.name, w.url, w.types, coalesce(d.position, 0), coalesce(d.attempts, 0), d.last_error,
                       (extract(epoch FROM d.last_attempt_at) * 1000000)::bigint,
                       (extract(epoch FROM d.delivered_at) * 1000000)::bigint,
                       (SELECT count(*) FROM ledger_events e
                        WHERE e.position > coalesce(d.position, 0)
                          AND (cardinality(w.types) = 0 OR e.type = ANY (w.types)))
                FROM webhooks w LEFT JOIN webhook_delivery d ON d.key = w.key
                ORDER BY w.key
                """
            ).rows.map { row in
                WebhookStatus(
                    webhook: try PostgresLedger.webhook(row), cursor: try row.int64(3), lag: try row.int64(8),
                    attempts: Int(try row.int64(4)), lastError: row[5],
                    lastAttemptAt: try row.optionalInt64(6).map(Timestamp.init(microseconds:)),
                    deliveredAt: try row.optionalInt64(7).map(Timestamp.init(microseconds:)))
            }
        }
    }

    /// Every webhook the delivery loop serves, with its secret and cursor.
    public func webhookTargets() throws -> [WebhookTarget] {
        try Ledger.mapErrors {
            try connection.query(
                """
                SELECT w.name, w.url, w.types, d.secret, d.position, d.added_position
                FROM webhooks w JOIN webhook_delivery d ON d.key = w.key ORDER BY w.key
                """
            ).rows.map { row in
                WebhookTarget(
                    webhook: try PostgresLedger.webhook(row), secret: try row.string(3), cursor: try row.int64(4),
                    addedPosition: try row.int64(5))
            }
        }
    }

    /// Moves a webhook's cursor on to `position` after a 2xx (or past events it does not take).
    /// Only the same webhook (same added position) and only forwards.
    public func advanceWebhook(key: String, addedPosition: Int64, to position: Int64, delivered: Bool) throws {
        _ = try Ledger.mapErrors {
            try connection.query(
                """
                UPDATE webhook_delivery
                SET position = $3, attempts = 0, last_error = NULL,
                    delivered_at = CASE WHEN $4 THEN clock_timestamp() ELSE delivered_at END
                WHERE key = $1 AND added_position = $2 AND position < $3
                """, [key, addedPosition, position, delivered])
        }
    }

    /// Records a failed attempt (the cursor stays).
    public func recordWebhookFailure(key: String, addedPosition: Int64, error: String) throws {
        _ = try Ledger.mapErrors {
            try connection.query(
                """
                UPDATE webhook_delivery
                SET attempts = attempts + 1, last_error = $3, last_attempt_at = clock_timestamp()
                WHERE key = $1 AND added_position = $2
                """, [key, addedPosition, String(error.prefix(500))])
        }
    }
}
