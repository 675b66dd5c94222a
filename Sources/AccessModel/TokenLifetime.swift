/// A token lifetime as given to `tokens create --lifetime`, e.g. `8760h`, `30d`, `1h30m`.
public struct TokenLifetime: Sendable, Hashable, CustomStringConvertible {
    /// The longest lifetime of any token: 876000h (about 100 years).
    public static let maximum = TokenLifetime(seconds: 876_000 * 3600)
    /// The longest lifetime of a token for a user with site role `owner`: 168h.
    public static let maximumForOwner = TokenLifetime(seconds: 168 * 3600)

    /// The lifetime in seconds (always > 0 when parsed).
    public var seconds: Int64

    /// A lifetime of `seconds` seconds.
    public init(seconds: Int64) { self.seconds = seconds }

    /// Parses one or more `<digits><unit>` parts, unit `d` (24h), `h`, `m` or `s`, each unit at
    /// most once and from the largest to the smallest: `8760h`, `1h30m`, `7d`.
    /// - Throws: ``Refusal`` (exit 2) naming the text when it is malformed, repeats or reorders a
    ///   unit (`1m1m`), overflows, or is not greater than zero (`0h`, `-1h`).
    public init(parsing text: String) throws(Refusal) {
        let malformed = Refusal.invalidInput(
            "invalid lifetime \(quoted(text)): expected a duration such as 8760h, 30d or 1h30m")
        if text.hasPrefix("-") {
            throw .invalidInput("invalid lifetime \(quoted(text)): a token lifetime must be greater than zero")
        }
        guard !text.isEmpty else { throw malformed }
        let units: [(symbol: UInt8, seconds: Int64)] = [
            (UInt8(ascii: "d"), 86_400), (UInt8(ascii: "h"), 3600), (UInt8(ascii: "m"), 60), (UInt8(ascii: "s"), 1),
        ]
        var nextUnit = 0
        var total: Int64 = 0
        var number: Int64? = nil
        for byte in text.utf8 {
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let (times, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !o1, !o2 else { throw malformed }
                number = plus
                continue
            }
            // Each unit once, largest first: `1m1m` and `30m1h` are typos, not durations.
            guard let index = units[nextUnit...].firstIndex(where: { $0.symbol == byte }), let value = number else {
                throw malformed
            }
            let (part, o1) = value.multipliedReportingOverflow(by: units[index].seconds)
            let (sum, o2) = total.addingReportingOverflow(part)
            guard !o1, !o2 else { throw malformed }
            total = sum
            number = nil
            nextUnit = index + 1
        }
        guard number == nil else { throw malformed }
        guard total > 0 else {
            throw .invalidInput("invalid lifetime \(quoted(text)): a token lifetime must be greater than zero")
        }
        self.seconds = total
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
