import AccessModel

/// A plain text table: upper-case headers, columns padded to their widest cell, two spaces apart.
/// Cells are user text: each is shown with its control characters escaped
/// (``DisplayText/escaped(_:)``), so no value can start a row of its own or send escape codes
/// to the terminal.
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }

    mutating func append(_ cells: String...) { append(row: cells) }
    mutating func append(row cells: [String]) { rows.append(cells.map(DisplayText.escaped)) }

    func rendered() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                text += isLast ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
