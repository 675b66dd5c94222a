/// One line of the report: our number, the baseline's, and how they compare.
struct Measurement: Sendable {
    /// What was measured, e.g. `append_8_writers`, `shared_with_user`.
    var name: String
    /// `ms`, `events/s`, `commands/s`, `MiB`.
    var unit: String
    var samples: Samples
    /// What it is compared with, e.g. `coder_jsonb_gin`.
    var baseline: String
    var baselineSamples: Samples
    /// Rates: true; latencies and memory: false.
    var higherIsBetter: Bool

    /// Median of ours.
    var value: Double { samples.median }
    /// Our tail: p99 of a latency, p1 of a rate (with fewer than 100 samples: the worst one).
    var p99: Double { samples.tail(higherIsBetter: higherIsBetter) }
    var baselineValue: Double { baselineSamples.median }
    var baselineP99: Double { baselineSamples.tail(higherIsBetter: higherIsBetter) }

    /// How many times as good as the baseline (1 = the same, above 1 = better): `value /
    /// baseline_value` for rates, `baseline_value / value` for latencies and memory.
    var ratio: Double {
        guard value > 0, baselineValue > 0 else { return 0 }
        return higherIsBetter ? value / baselineValue : baselineValue / value
    }

    /// The JSON object printed on stdout, one per line.
    var jsonLine: String {
        let fields: [(String, String)] = [
            ("name", JSONText.string(name)), ("unit", JSONText.string(unit)), ("value", JSONText.number(value)),
            ("p99", JSONText.number(p99)), ("baseline", JSONText.string(baseline)),
            ("baseline_value", JSONText.number(baselineValue)), ("ratio", JSONText.number(ratio)),
            ("baseline_p99", JSONText.number(baselineP99)), ("samples", String(samples.count)),
            ("baseline_samples", String(baselineSamples.count)),
        ]
        return "{" + fields.map { "\(JSONText.string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}

/// Minimal JSON spelling for the report (names are ASCII; numbers are finite).
enum JSONText {
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// At most four significant decimals after the point, no exponent.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        return Format.fixed(value, digits: value.magnitude >= 100 ? 1 : value.magnitude >= 1 ? 3 : 4)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// Number formatting without Foundation's locale.
enum Format {
    /// `value` with exactly `digits` digits after the point.
    static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (value.magnitude * scale).rounded()
        guard scaled < 9e15 else { return String(Int64(value.rounded())) }
        let whole = Int64(scaled) / Int64(scale)
        let fraction = Int64(scaled) % Int64(scale)
        let sign = value < 0 && scaled > 0 ? "-" : ""
        guard digits > 0 else { return sign + String(whole) }
        return sign + String(whole) + "." + String(fraction).leftPadded(to: digits)
    }

    /// A readable value with its unit: 3 significant figures or so.
    static func readable(_ value: Double) -> String {
        switch value.magnitude {
        case 10_000...: return fixed(value, digits: 0)
        case 100...: return fixed(value, digits: 1)
        case 1...: return fixed(value, digits: 2)
        default: return fixed(value, digits: 3)
        }
    }
}
