import AccessModel
import PostgresClient

extension Replay {
    /// Writes the current tables from `state` (and `head` to `projection_state`) with binary
    /// COPYs into `schema`, each row encoded as the live path writes it (``TableRow``).
    func copyCurrentState(_ state: LedgerSnapshot, head: Int64, to tx: Connection, schema: String) throws {
        typealias Row = (key: [HistoryValue], values: [HistoryValue])
        func copy(_ table: TableShape, _ rows: some Sequence<Row>) throws {
            var encoded = BinaryCopyRows()
            for row in rows {
                encoded.beginRow(fields: table.columns.count)
                for value in row.key { value.write(to: &encoded) }
                for value in row.values { value.write(to: &encoded) }
            }
            try tx.copyIn(
                "COPY \(schema).\(table.name) (\(table.columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)",
                binary: encoded)
        }
        try copy(.currentUsers, state.users.values.lazy.map(TableRow.user))
        try copy(.currentGroups, state.groups.values.lazy.map { TableRow.group($0, withSource: true) })
        try copy(
            .currentMembers,
            state.members.lazy.flatMap { group, users in
                users.map { Row(TableRow.member(groupKey: group, userKey: $0), []) }
            })
        try copy(.currentWorkspaces, state.workspaces.values.lazy.map(TableRow.workspace))
        try copy(
            .userEntries, state.acls.lazy.flatMap { id, acl in acl.users.map { TableRow.entry(workspaceID: id, $0) } })
        try copy(
            .groupEntries, state.acls.lazy.flatMap { id, acl in acl.groups.map { TableRow.entry(workspaceID: id, $0) } })
        try copy(
            .currentAccess,
            state.access.values.lazy.flatMap(\.values).map {
                Row(TableShape.accessKey($0.workspaceID, $0.userKey), TableShape.accessValues($0))
            })
        try copy(.currentTokens, state.tokens.values.lazy.map(TableRow.token))
        try copy(.currentWebhooks, state.webhooks.values.lazy.map(TableRow.webhook))
        var position = BinaryCopyRows()
        position.beginRow(fields: 2)
        position.bool(true)
        position.int64(head)
        try tx.copyIn("COPY \(schema).projection_state (id, position) FROM STDIN (FORMAT binary)", binary: position)
    }
}
