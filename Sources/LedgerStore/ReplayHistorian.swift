import AccessModel
import PostgresClient

/// One change of a temporal table, as the applying thread hands it to the history writer.
enum HistoryChange: Sendable {
    case row(HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp)
    case access(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp)
}

/// Replay's history-writing thread: keeps the open intervals (``CopyHistorySink``) and streams
/// the closed ones to the scratch tables over binary COPYs on connections of its own.
final class ReplayHistorian: Sendable {
    enum Message: Sendable {
        case changes([HistoryChange])
        /// Close the open intervals, send everything and end the COPYs.
        case finish
        /// Stop; nothing more is kept.
        case abandon
    }

    let changes = Handoff<Message>(capacity: 16)
    let worker: Worker

    init(connect: @escaping @Sendable () throws -> Connection, schema: String) {
        let changes = self.changes
        worker = Worker {
            var failure: (any Error)?
            var connections: [Connection] = []
            defer { for connection in connections { connection.close() } }
            var streams: [HistoryTable: CopyInStream] = [:]
            do {
                for table in HistoryTable.all {
                    let connection = try connect()
                    connections.append(connection)
                    streams[table] = try CopyInStream(
                        connection,
                        sql: "COPY \(schema).\(table.name) (\(table.historyColumns.joined(separator: ", "))) "
                            + "FROM STDIN (FORMAT binary)")
                }
            } catch {
                failure = error
            }
            let sink = CopyHistorySink(streams: streams)
            // After a failure, keep taking (and dropping) messages until the end, so that the
            // applying thread never waits for this one forever.
            receiving: while true {
                switch changes.take() {
                case .changes(let batch):
                    guard failure == nil else { continue }
                    for change in batch {
                        switch change {
                        case .row(let table, let key, let values, let position, let time):
                            sink.change(table, key: key, values: values, position: position, time: time)
                        case .access(let workspaceID, let userKey, let row, let position, let time):
                            sink.changeAccess(
                                workspaceID: workspaceID, userKey: userKey, row: row, position: position, time: time)
                        }
                    }
                    if sink.pendingBytes >= 1 << 20 {
                        do { try sink.send() } catch { failure = error }
                    }
                case .finish:
                    guard failure == nil else { break receiving }
                    do {
                        sink.closeOpenIntervals()
                        try sink.send()
                        for stream in streams.values { try stream.finish() }
                    } catch {
                        failure = error
                    }
                    break receiving
                case .abandon:
                    break receiving
                }
            }
            if let failure { throw failure }
        }
    }
}

/// The applying thread's sink: queues each interval change and passes them to the
/// ``ReplayHistorian`` in batches.
final class QueuedHistorySink: HistorySink {
    private let historian: ReplayHistorian
    private var queued: [HistoryChange] = []

    init(historian: ReplayHistorian) {
        self.historian = historian
        queued.reserveCapacity(8_192)
    }

    func change(_ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp) {
        queued.append(.row(table, key: key, values: values, position: position, time: time))
    }

    func changeAccess(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp) {
        queued.append(.access(workspaceID: workspaceID, userKey: userKey, row: row, position: position, time: time))
    }

    /// Passes the queued changes on (waits while the historian is far behind).
    func pass() {
        guard !queued.isEmpty else { return }
        historian.changes.put(.changes(queued))
        queued = []
        queued.reserveCapacity(8_192)
    }
}

/// Replay's sink: keeps each entity's open interval in memory and streams closed intervals to
/// the table's open binary COPY, so memory follows the current state, not the length of the log.
final class CopyHistorySink: HistorySink {
    private struct Interval {
        var values: [HistoryValue]
        var position: Int64
        var time: Timestamp
    }

    private struct AccessKey: Hashable {
        var workspaceID: Int64
        var userKey: String
    }

    private struct OpenAccess {
        var row: AccessRow
        var position: Int64
        var time: Timestamp
    }

    private let streams: [HistoryTable: CopyInStream]
    /// Open access intervals, kept apart from ``open``: most intervals are access rows, and a
    /// typed key costs far less than an array of values.
    private var openAccess: [AccessKey: OpenAccess] = [:]
    private var accessRows = BinaryCopyRows()
    private var open: [HistoryTable: [[HistoryValue]: Interval]] = [:]
    private var buffers: [HistoryTable: BinaryCopyRows] = [:]
    /// Bytes encoded and not yet sent.
    private(set) var pendingBytes = 0

    init(streams: [HistoryTable: CopyInStream]) { self.streams = streams }

    func change(_ table: HistoryTable, key: [HistoryValue], values: [HistoryValue]?, position: Int64, time: Timestamp) {
        if let values {
            let next = Interval(values: values, position: position, time: time)
            if let previous = open[table, default: [:]].updateValue(next, forKey: key) {
                emit(table, key, previous, to: (position, time))
            }
        } else if let previous = open[table]?.removeValue(forKey: key) {
            emit(table, key, previous, to: (position, time))
        }
    }

    func changeAccess(workspaceID: Int64, userKey: String, row: AccessRow?, position: Int64, time: Timestamp) {
        let key = AccessKey(workspaceID: workspaceID, userKey: userKey)
        let previous =
            if let row {
                openAccess.updateValue(OpenAccess(row: row, position: position, time: time), forKey: key)
            } else {
                openAccess.removeValue(forKey: key)
            }
        if let previous { emitAccess(key, previous, to: (position, time)) }
    }

    private func emitAccess(_ key: AccessKey, _ interval: OpenAccess, to end: (Int64, Timestamp)?) {
        pendingBytes += accessRows.appendInterval(
            key: HistoryTable.accessKey(key.workspaceID, key.userKey), values: HistoryTable.accessValues(interval.row),
            from: (interval.position, interval.time), to: end)
    }

    private func emit(_ table: HistoryTable, _ key: [HistoryValue], _ interval: Interval, to end: (Int64, Timestamp)?) {
        var rows = buffers.removeValue(forKey: table) ?? BinaryCopyRows()
        pendingBytes += rows.appendInterval(
            key: key, values: interval.values, from: (interval.position, interval.time), to: end)
        buffers[table] = rows
    }

    /// Writes the still-open intervals (to_position NULL) to the buffers.
    func closeOpenIntervals() {
        for (table, entries) in open {
            for (key, interval) in entries { emit(table, key, interval, to: nil) }
        }
        open.removeAll()
        for (key, interval) in openAccess { emitAccess(key, interval, to: nil) }
        openAccess.removeAll()
    }

    /// Sends the encoded rows to their streams.
    func send() throws {
        for table in Array(buffers.keys) {
            guard var rows = buffers.removeValue(forKey: table), let stream = streams[table] else { continue }
            try stream.send(&rows)
            buffers[table] = rows
        }
        if let stream = streams[.access] { try stream.send(&accessRows) }
        pendingBytes = 0
    }
}

extension BinaryCopyRows {
    /// Appends one row of a temporal table (``HistoryTable/columns``): key, values, from, to.
    /// - Returns: the bytes it added.
    fileprivate mutating func appendInterval(
        key: [HistoryValue], values: [HistoryValue], from: (Int64, Timestamp), to end: (Int64, Timestamp)?
    ) -> Int {
        let before = bytes.count
        beginRow(fields: key.count + values.count + 4)
        for value in key { value.write(to: &self) }
        for value in values { value.write(to: &self) }
        int64(from.0)
        timestamp(unixMicroseconds: from.1.microseconds)
        int64(end?.0)
        timestamp(unixMicroseconds: end?.1.microseconds)
        return bytes.count - before
    }
}
