import AccessModel
import Crypto

/// The hash chain's canonical encoding (documented byte for byte in the README): version 1 for
/// events without a token, version 2, which adds `"token"`, for events appended through the API.
/// The version follows from the event itself, so setting or clearing a token changes the hash.
///
/// `hash = SHA-256(previous_hash ‖ canonical)`, where `previous_hash` is the 32 raw bytes of the
/// previous event's hash (32 zero bytes before position 1) and `canonical` is the canonical JSON
/// (``JSONValue/canonicalBytes()``) of the object
/// `{"actor","data","occurred_at","position","reason","recorded_at","stream","stream_version","type","v":1}`
/// with times as RFC 3339 UTC with six fractional digits.
public enum EventHasher {
    /// The version of an event without a token (the CLI's).
    public static let version: Int64 = 1
    /// The version of an event with a token (the API's).
    public static let versionWithToken: Int64 = 2
    public static let genesis = [UInt8](repeating: 0, count: 32)

    /// The canonical bytes of an event (everything but the hashes).
    public static func canonicalBytes(
        position: Int64, stream: String, streamVersion: Int64, type: String, data: JSONValue, actor: String,
        reason: String?, token: String? = nil, occurredAt: Timestamp, recordedAt: Timestamp
    ) -> [UInt8] {
        var members: [String: JSONValue] = [
            "v": .int(token == nil ? version : versionWithToken),
            "position": .int(position),
            "stream": .string(stream),
            "stream_version": .int(streamVersion),
            "type": .string(type),
            "data": data,
            "actor": .string(actor),
            "reason": reason.map(JSONValue.string) ?? .null,
            "occurred_at": .string(occurredAt.canonical),
            "recorded_at": .string(recordedAt.canonical),
        ]
        if let token { members["token"] = .string(token) }
        return JSONValue.object(members).canonicalBytes()
    }

    public static func hash(previous: [UInt8], canonical: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: canonical)
        return Array(hasher.finalize())
    }

    /// The hash an event should have, given its fields and its `previousHash`.
    public static func expectedHash(of event: RecordedEvent) -> [UInt8] {
        hash(
            previous: event.previousHash,
            canonical: canonicalBytes(
                position: event.position, stream: event.stream, streamVersion: event.streamVersion, type: event.type,
                data: event.data, actor: event.actor, reason: event.reason, token: event.token,
                occurredAt: event.occurredAt,
                recordedAt: event.recordedAt))
    }
}
