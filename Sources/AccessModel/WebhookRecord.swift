/// A webhook (SPEC §8): where matching events are POSTed while `serve` runs. Its signing secret
/// is never part of an event or of this record: it is kept in a table of its own.
public struct WebhookRecord: Sendable, Hashable {
    /// The name as first written.
    public var name: String
    /// The `http` or `https` URL events are POSTed to.
    public var url: String
    /// The event types delivered (sorted); empty means every type.
    public var types: [String]

    public init(name: String, url: String, types: [String]) {
        self.name = name
        self.url = url
        self.types = types
    }

    /// The identity of ``name`` (lowercased).
    public var key: String { Name.key(name) }

    /// Whether an event of `type` is delivered to this webhook.
    public func delivers(_ type: String) -> Bool { types.isEmpty || types.contains(type) }
}

extension WebhookRecord {
    /// The longest URL accepted.
    public static let maximumURLLength = 2048

    /// Checks a webhook as `webhooks add` gives it: a name as in SPEC §1, an `http://` or
    /// `https://` URL with a host (no spaces or control characters), and known event types, each
    /// once (comma-separated values of a repeatable flag, as `--user` takes).
    /// - Throws: ``Refusal`` (exit 2) naming the offending value.
    public init(parsingName name: String, url: String, types: [String]) throws(Refusal) {
        let checked = try Name(name, kind: .webhook)
        let lower = url.lowercased()
        let scheme = lower.hasPrefix("https://") ? 8 : lower.hasPrefix("http://") ? 7 : 0
        let host = url.dropFirst(scheme).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard scheme > 0, !host.isEmpty, url.utf8.count <= WebhookRecord.maximumURLLength,
            url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0.value < 0x80 })
        else {
            throw .invalidInput(
                "invalid webhook URL \(quoted(url)): expected an http:// or https:// URL with a host "
                    + "(at most \(WebhookRecord.maximumURLLength) characters, no spaces)")
        }
        // The URL is recorded in the log for good: credentials never belong in it.
        if let at = host.lastIndex(of: "@") {
            // Named without the credentials themselves: an error message is no place for them either.
            let shown = String(url.prefix(scheme)) + "…" + String(url[at...])
            throw .invalidInput(
                "invalid webhook URL \(quoted(shown)): it carries credentials (user@ or user:password@), which "
                    + "would be recorded in the log; verify the X-AccessLedger-Signature in the receiver instead")
        }
        var seen: Set<String> = []
        for value in types {
            for piece in value.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard LedgerEventType(rawValue: piece) != nil else {
                    throw .invalidInput(
                        "unknown event type \(quoted(piece)) in the webhook's types: expected one of "
                            + LedgerEventType.allCases.map(\.rawValue).joined(separator: ", "))
                }
                guard seen.insert(piece).inserted else {
                    throw .invalidInput("event type \(quoted(piece)) is listed more than once")
                }
            }
        }
        self.init(name: checked.value, url: url, types: seen.sorted())
    }
}
