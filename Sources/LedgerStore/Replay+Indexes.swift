import AccessModel
import PostgresClient

extension Replay {
    /// Index builds under way (``startIndexes(of:reading:on:schema:)``): the connections they
    /// were sent to, and the statements that make primary keys of the unique indexes built.
    struct IndexBuilds {
        var connections: [Connection]
        var primaryKeys: [String]
    }

    /// Starts recreating the live tables' indexes (same names) on the scratch copies of
    /// `tables`, after their data is in (building an index once is faster than maintaining it
    /// row by row). The indexes are dealt out to `connections` one by one, the costliest first
    /// to the least loaded (a GiST index costs several times a btree of the same table), and
    /// each connection is sent its statements at once: they work side by side, and
    /// ``finishIndexes(_:)`` waits for them. The primary keys are returned to be added after
    /// that: `ADD CONSTRAINT` locks its table exclusively, and each connection's batch is one
    /// transaction holding its tables until it ends, so adding them on the way could deadlock.
    func startIndexes(
        of tables: [String], reading catalog: Connection, on connections: [Connection], schema: String
    ) throws -> IndexBuilds {
        let indexes = try catalog.query(
            """
            SELECT i.tablename, i.indexname, i.indexdef, c.conname,
                   pg_relation_size((quote_ident($2) || '.' || quote_ident(i.tablename))::regclass)
            FROM pg_indexes i
            LEFT JOIN pg_constraint c ON c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
                                     AND c.contype = 'p'
            WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
            """, [tables, schema])
        var builds: [(cost: Int64, sql: String)] = []
        var primaryKeys: [String] = []
        for row in indexes.rows {
            let table = try row.string(0)
            let definition = try row.string(2)
            let cost = max(try row.int64(4), 1) * (definition.contains(" USING gist ") ? 8 : 1)
            builds.append((cost, definition.replacingFirst(" ON public.\(table) ", with: " ON \(schema).\(table) ")))
            if let constraint = row[3] {
                primaryKeys.append(
                    "ALTER TABLE \(schema).\(table) ADD CONSTRAINT \(constraint) PRIMARY KEY USING INDEX \(try row.string(1))"
                )
            }
        }
        var work: [(load: Int64, sql: [String])] = connections.map { _ in (0, []) }
        for build in builds.sorted(by: { $0.cost > $1.cost }) {
            let slot = work.indices.min { work[$0].load < work[$1].load } ?? 0
            work[slot].load += build.cost
            work[slot].sql.append(build.sql)
        }
        var busy: [Connection] = []
        for (connection, batch) in zip(connections, work) where !batch.sql.isEmpty {
            try connection.send(batch.sql.joined(separator: ";\n"))
            busy.append(connection)
        }
        return IndexBuilds(connections: busy, primaryKeys: primaryKeys)
    }

    /// Waits for the index builds ``startIndexes(of:reading:on:schema:)`` sent, and throws the
    /// first error.
    func finishIndexes(_ connections: [Connection]) throws {
        var firstError: (any Error)?
        for connection in connections {
            do { try connection.finishSent() } catch { if firstError == nil { firstError = error } }
        }
        if let firstError { throw firstError }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
