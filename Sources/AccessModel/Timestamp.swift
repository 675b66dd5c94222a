/// A point in time with microsecond precision, exactly as PostgreSQL's `timestamptz` stores it.
///
/// Kept as an integer so that a time read back from the database, hashed, or printed is
/// always the same value (a `Double`-based date would round).
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    /// RFC 3339 in UTC with exactly six fractional digits: `2026-11-27T10:00:00.000000Z`.
    /// This is the spelling used inside the hash chain's canonical encoding.
    public var canonical: String { format(fractionDigits: 6) }

    /// Appends ``canonical`` to `out` as UTF-8, the same bytes, without building a `String`
    /// (for years 0–9999; other years take ``canonical`` itself).
    public func writeCanonical(into out: inout [UInt8]) {
        let (days, rest) = dayAndTime
        let (year, month, day) = Timestamp.civil(fromDays: days)
        guard (0...9999).contains(year) else {
            out.append(contentsOf: canonical.utf8)
            return
        }
        func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: 48 + value / divisor % 10))
                divisor /= 10
            }
        }
        let seconds = rest / 1_000_000
        digits(year, 4)
        out.append(UInt8(ascii: "-"))
        digits(month, 2)
        out.append(UInt8(ascii: "-"))
        digits(day, 2)
        out.append(UInt8(ascii: "T"))
        digits(seconds / 3600, 2)
        out.append(UInt8(ascii: ":"))
        digits(seconds / 60 % 60, 2)
        out.append(UInt8(ascii: ":"))
        digits(seconds % 60, 2)
        out.append(UInt8(ascii: "."))
        digits(rest % 1_000_000, 6)
        out.append(UInt8(ascii: "Z"))
    }

    /// RFC 3339 in UTC for people and JSON output: fractional digits only when non-zero
    /// (`2026-11-27T10:00:00Z`, `2026-11-27T10:00:00.25Z`).
    public var rfc3339: String { format(fractionDigits: nil) }

    public var description: String { rfc3339 }

    private func format(fractionDigits: Int?) -> String {
        let (days, rest) = dayAndTime
        let (year, month, day) = Timestamp.civil(fromDays: days)
        let seconds = rest / 1_000_000
        let micros = rest % 1_000_000
        var text =
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))"
        if let digits = fractionDigits {
            text += "." + pad(micros, 6).prefix(digits)
        } else if micros != 0 {
            var fraction = pad(micros, 6)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    private func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Parses RFC 3339 (`2026-03-03T02:14:00Z`, `2026-03-03T02:14:00.5+01:00`, lowercase `t`/`z`
    /// allowed; a space instead of `T` too, as PostgreSQL prints). Returns `nil` when malformed.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var value: Int64 = 0
            for i in from..<(from + count) {
                guard (48...57).contains(b[i]) else { return nil }
                value = value * 10 + Int64(b[i] - 48)
            }
            return value
        }
        guard b.count >= 20, let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2),
            b[7] == UInt8(ascii: "-"), let day = number(8, 2),
            [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(b[10]),
            let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2),
            b[16] == UInt8(ascii: ":"), let second = number(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var i = 19
        var micros: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, (48...57).contains(b[i]) {
                if digits < 6 { micros = micros * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        }
        guard i < b.count else { return nil }
        var offsetSeconds: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
            guard let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"),
                let om = number(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetSeconds = sign * (oh * 3600 + om * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Timestamp.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        self.microseconds = seconds * 1_000_000 + micros
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The UTC calendar date and time of day (for axes and labels).
    public var civil: (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64) {
        let (days, rest) = dayAndTime
        let (year, month, day) = Timestamp.civil(fromDays: days)
        return (year, month, day, rest / 3_600_000_000, rest / 60_000_000 % 60)
    }

    /// Days since 1970-01-01 and microseconds into that day (floored, also before 1970).
    private var dayAndTime: (days: Int64, micros: Int64) {
        let perDay: Int64 = 86_400 * 1_000_000
        var days = microseconds / perDay
        var rest = microseconds % perDay
        if rest < 0 {
            rest += perDay
            days -= 1
        }
        return (days, rest)
    }

    /// Midnight UTC of a calendar date (months and days out of range roll over).
    public init(year: Int64, month: Int64, day: Int64, hour: Int64 = 0) {
        let months = year * 12 + (month - 1)
        let y = months >= 0 ? months / 12 : (months - 11) / 12
        let m = months - y * 12 + 1
        let days = Timestamp.days(fromCivil: y, m, 1) + day - 1
        self.microseconds = (days * 86_400 + hour * 3600) * 1_000_000
    }
}
