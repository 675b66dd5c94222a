/// An event about to be appended: what the rules decided, before the log gives it a position.
public struct NewEvent: Sendable, Hashable {
    /// The entity the event is about, e.g. `user:alice` or `workspace:7`.
    public var stream: String
    /// The event type, e.g. `workspace_shared`.
    public var type: String
    /// The payload. Integers only, no fractions (see ``JSONValue``).
    public var data: JSONValue

    public init(stream: String, type: String, data: JSONValue) {
        self.stream = stream
        self.type = type
        self.data = data
    }
}

/// Who appends, why, and when it happened: the same for every event of one command.
public struct EventMetadata: Sendable, Hashable {
    public var actor: String
    public var reason: String?
    /// When it happened. `nil` means "now" (the database clock at append time).
    public var occurredAt: Timestamp?
    /// The API token that authorised the command, as `USER/TOKEN`; `nil` for the CLI.
    public var token: String?

    public init(actor: String, reason: String? = nil, occurredAt: Timestamp? = nil, token: String? = nil) {
        self.actor = actor
        self.reason = reason
        self.occurredAt = occurredAt
        self.token = token
    }
}

/// An event as it stands in the log.
public struct RecordedEvent: Sendable, Hashable {
    /// Gap-free global position, 1...N.
    public var position: Int64
    public var stream: String
    /// 1...n within the stream.
    public var streamVersion: Int64
    public var type: String
    public var data: JSONValue
    public var actor: String
    public var reason: String?
    /// The API token that authorised the event (`USER/TOKEN`); `nil` for events of the CLI.
    public var token: String?
    public var occurredAt: Timestamp
    public var recordedAt: Timestamp
    /// SHA-256 of the previous event (32 zero bytes before position 1).
    public var previousHash: [UInt8]
    /// SHA-256 over `previousHash` and the canonical encoding of this event.
    public var hash: [UInt8]

    public init(
        position: Int64, stream: String, streamVersion: Int64, type: String, data: JSONValue, actor: String,
        reason: String?, token: String? = nil, occurredAt: Timestamp, recordedAt: Timestamp, previousHash: [UInt8],
        hash: [UInt8]
    ) {
        self.position = position
        self.stream = stream
        self.streamVersion = streamVersion
        self.type = type
        self.data = data
        self.actor = actor
        self.reason = reason
        self.token = token
        self.occurredAt = occurredAt
        self.recordedAt = recordedAt
        self.previousHash = previousHash
        self.hash = hash
    }
}
