import AccessModel
import PostgresClient

/// Set-based statements over a ``TableShape``: each writes any number of rows in one statement,
/// the rows passed as one `text[]` parameter per column and read back with `unnest`, so a
/// command's writes to a table cost one statement whatever their number (a share with
/// `Everyone` writes a row per user).
extension TableShape {
    /// The text form of a value in a `text[]` parameter; the statement casts it back.
    static func text(_ value: HistoryValue) -> String? {
        switch value {
        case .text(let text): return text
        case .int64(let number): return String(number)
        case .bool(let flag): return flag ? "t" : "f"
        case .textArray(let values): return values.postgresText
        case .timestamp(let time): return time?.canonical
        }
    }

    /// `unnest($n::text[], …) AS r(c0, …)` over rows of `count` values each, and its parameters
    /// (the first numbered `first`).
    static func unnest(_ rows: [[HistoryValue]], count: Int, first: Int) -> (sql: String, parameters: [any PostgresBindable]) {
        var columns = Array(repeating: [String?](), count: count)
        for index in columns.indices { columns[index].reserveCapacity(rows.count) }
        for row in rows {
            for (index, value) in row.enumerated() { columns[index].append(text(value)) }
        }
        let arrays = (0..<count).map { "$\(first + $0)::text[]" }.joined(separator: ", ")
        let names = (0..<count).map { "c\($0)" }.joined(separator: ", ")
        return ("unnest(\(arrays)) AS r(\(names))", columns.map(NullableTextArray.init))
    }

    /// `r.c0::cast, …` for `columns`, numbered from `offset`.
    func selectList(_ columns: [String], offset: Int = 0) -> String {
        columns.enumerated().map { "r.c\($0.offset + offset)\(cast($0.element))" }.joined(separator: ", ")
    }

    /// `t.k = r.c0::cast AND …` over the key columns.
    var keyMatch: String {
        keyColumns.enumerated().map { "t.\($0.element) = r.c\($0.offset)\(cast($0.element))" }
            .joined(separator: " AND ")
    }

    /// Inserts or updates `rows` (key values, then value values) of a current table.
    func upsert(_ rows: [[HistoryValue]]) -> Statement {
        let (from, parameters) = TableShape.unnest(rows, count: columns.count, first: 1)
        let update =
            valueColumns.isEmpty
            ? "DO NOTHING"
            : "DO UPDATE SET " + valueColumns.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        return Statement(
            """
            INSERT INTO \(name) (\(columns.joined(separator: ", "))) SELECT \(selectList(columns)) FROM \(from)
            ON CONFLICT (\(keyColumns.joined(separator: ", "))) \(update)
            """, parameters)
    }

    /// Deletes the rows of a current table with these keys.
    func delete(_ keys: [[HistoryValue]]) -> Statement {
        let (from, parameters) = TableShape.unnest(keys, count: keyColumns.count, first: 1)
        return Statement("DELETE FROM \(name) t USING \(from) WHERE \(keyMatch)", parameters)
    }

    /// Ends the open interval (if any) of each key of a temporal table at its position and time.
    func closeIntervals(_ keys: [(key: [HistoryValue], position: Int64, time: Timestamp)]) -> Statement {
        let rows = keys.map { $0.key + [.int64($0.position), .timestamp($0.time)] }
        let count = keyColumns.count
        let (from, parameters) = TableShape.unnest(rows, count: count + 2, first: 1)
        return Statement(
            """
            UPDATE \(name) t SET to_position = r.c\(count)::bigint, to_time = r.c\(count + 1)::timestamptz
            FROM \(from) WHERE \(keyMatch) AND t.to_position IS NULL
            """, parameters)
    }

    /// Inserts intervals of a temporal table: each row is key, values, from position and time,
    /// to position and time (`nil` for an open interval).
    func insertIntervals(_ rows: [[HistoryValue]]) -> Statement {
        let count = columns.count
        let (from, parameters) = TableShape.unnest(rows, count: count + 4, first: 1)
        return Statement(
            """
            INSERT INTO \(name) (\(historyColumns.joined(separator: ", ")))
            SELECT \(selectList(columns)), r.c\(count)::bigint, r.c\(count + 1)::timestamptz,
                   r.c\(count + 2)::bigint, r.c\(count + 3)::timestamptz
            FROM \(from)
            """, parameters)
    }
}
