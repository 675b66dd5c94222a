import AccessModel
import Crypto

/// The hash chain's canonical encoding (documented byte for byte in the README): version 1 for
/// events without a token, version 2, which adds `"token"`, for events appended through the API.
/// The version follows from the event itself, so setting or clearing a token changes the hash.
///
/// `hash = SHA-256(previous_hash ‖ canonical)`, where `previous_hash` is the 32 raw bytes of the
/// previous event's hash (32 zero bytes before position 1) and `canonical` is the canonical JSON
/// (``JSONValue/canonicalBytes()``, written by ``writeCanonical(position:stream:streamVersion:type:actor:reason:token:occurredAt:recordedAt:into:data:)``) of the object
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
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeCanonical(
            position: position, stream: stream, streamVersion: streamVersion, type: type, actor: actor,
            reason: reason, token: token, occurredAt: occurredAt, recordedAt: recordedAt, into: &out
        ) { data.writeCanonical(into: &$0) }
        return out
    }

    /// Appends the canonical bytes of an event to `out`; `writeData` appends the canonical
    /// encoding of its `data`. The one definition of the envelope, for appending and verifying
    /// alike: the members of the object are written in the canonical order, the order of their
    /// keys' code points (`actor` < `data` < `occurred_at` < `position` < `reason` <
    /// `recorded_at` < `stream` < `stream_version` < `token` < `type` < `v`).
    static func writeCanonical<Text: CanonicalText>(
        position: Int64, stream: Text, streamVersion: Int64, type: Text, actor: Text, reason: Text?, token: Text?,
        occurredAt: Timestamp, recordedAt: Timestamp, into out: inout [UInt8],
        data writeData: (inout [UInt8]) throws -> Void
    ) rethrows {
        out.append(contentsOf: #"{"actor":"#.utf8)
        actor.writeCanonical(into: &out)
        out.append(contentsOf: #","data":"#.utf8)
        try writeData(&out)
        out.append(contentsOf: #","occurred_at":""#.utf8)
        occurredAt.writeCanonical(into: &out)
        out.append(contentsOf: #"","position":"#.utf8)
        out.append(contentsOf: String(position).utf8)
        out.append(contentsOf: #","reason":"#.utf8)
        if let reason { reason.writeCanonical(into: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #","recorded_at":""#.utf8)
        recordedAt.writeCanonical(into: &out)
        out.append(contentsOf: #"","stream":"#.utf8)
        stream.writeCanonical(into: &out)
        out.append(contentsOf: #","stream_version":"#.utf8)
        out.append(contentsOf: String(streamVersion).utf8)
        if let token {
            out.append(contentsOf: #","token":"#.utf8)
            token.writeCanonical(into: &out)
        }
        out.append(contentsOf: #","type":"#.utf8)
        type.writeCanonical(into: &out)
        out.append(contentsOf: #","v":"#.utf8)
        out.append(contentsOf: String(token == nil ? version : versionWithToken).utf8)
        out.append(UInt8(ascii: "}"))
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

/// Text the canonical encoding writes as a JSON string: a `String`, or the UTF-8 bytes of a
/// column as the server sent them (``UTF8Text``).
protocol CanonicalText {
    /// Appends the string, quoted and escaped as ``JSONValue/writeString(_:into:)`` does.
    func writeCanonical(into out: inout [UInt8])
}

extension String: CanonicalText {
    func writeCanonical(into out: inout [UInt8]) { JSONValue.writeString(self, into: &out) }
}

/// A text column's bytes, written exactly as the `String` libpq's text would have become
/// (`String(cString:)`, which replaces ill-formed UTF-8): ASCII directly, anything else through
/// `String(decoding:as:)`, which repairs the same way.
struct UTF8Text: CanonicalText {
    let bytes: UnsafeRawBufferPointer

    func writeCanonical(into out: inout [UInt8]) {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            JSONValue.writeString(utf8: bytes, into: &out)
        } else {
            JSONValue.writeString(String(decoding: bytes, as: UTF8.self), into: &out)
        }
    }

    /// The text as a `String`, as libpq's text would have become.
    var string: String { String(decoding: bytes, as: UTF8.self) }
}
