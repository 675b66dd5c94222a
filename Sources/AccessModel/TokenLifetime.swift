/// A token lifetime as given to `tokens create --lifetime`, e.g. `8760h`, `30d`, `1h30m`.
public struct TokenLifetime: Sendable, Hashable, CustomStringConvertible {
    /// The longest lifetime of any token: 876000h (about 100 years).
    public static let maximum = TokenLifetime(seconds: 876_000 * 3600)
    /// The longest lifetime of a token for a user with site role `owner`: 168h.
    public static let maximumForOwner = TokenLifetime(seconds: 168 * 3600)

    /// The lifetime in seconds; may be zero or negative when parsed (the rules refuse those).
    public var seconds: Int64

    /// A lifetime of `seconds` seconds.
    public init(seconds: Int64) { self.seconds = seconds }

    /// Parses one or more `<digits><unit>` parts, unit `d` (24h), `h`, `m` or `s`, optionally
    /// preceded by `-`: `8760h`, `1h30m`, `7d`.
    /// - Throws: ``Refusal`` (exit 2) naming the text when it is malformed or overflows.
    public init(parsing text: String) throws(Refusal) {
        let malformed = Refusal.invalidInput(
            "invalid lifetime \(quoted(text)): expected a duration such as 8760h, 30d or 1h30m")
        var bytes = Array(text.utf8)[...]
        var sign: Int64 = 1
        if bytes.first == UInt8(ascii: "-") {
            sign = -1
            bytes = bytes.dropFirst()
        }
        guard !bytes.isEmpty else { throw malformed }
        var total: Int64 = 0
        var number: Int64? = nil
        for byte in bytes {
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !o1, !o2 else { throw malformed }
                number = plus
                continue
            }
            let unit: Int64
            switch byte {
            case UInt8(ascii: "d"): unit = 86_400
            case UInt8(ascii: "h"): unit = 3600
            case UInt8(ascii: "m"): unit = 60
            case UInt8(ascii: "s"): unit = 1
            default: throw malformed
            }
            guard let value = number else { throw malformed }
            let (part, o1) = value.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(part)
            guard !o1, !o2 else { throw malformed }
            total = sum
            number = nil
        }
        guard number == nil else { throw malformed }
        self.seconds = sign * total
    }

    /// Hours (and minutes and seconds when not whole): `8760h`, `1h30m`, `90s`.
    public var description: String {
        let sign = seconds < 0 ? "-" : ""
        let magnitude = seconds.magnitude
        let hours = magnitude / 3600
        let minutes = magnitude % 3600 / 60
        let secs = magnitude % 60
        var text = sign
        if hours > 0 || (minutes == 0 && secs == 0) { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if secs > 0 { text += "\(secs)s" }
        return text
    }
}
