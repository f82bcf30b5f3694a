import Foundation
public import GRDB
import GRDBSQLite

/// Reading stored events in ledger order.
public enum EventReader {
    /// Calls `body` for each event with `position` in `range`, in order, streaming from SQLite.
    /// Events of a known type whose JSON does not decode throw `LedgerError.corruptEvent`, unless
    /// `skipCorrupt` is set (for audits, which report them separately and go on).
    public static func forEach(
        in db: Database,
        positions range: ClosedRange<Int64> = 1...Int64.max,
        stream: String? = nil,
        skipCorrupt: Bool = false,
        _ body: (RecordedEvent) throws -> Void
    ) throws {
        let sql: String
        var arguments: StatementArguments = [range.lowerBound, range.upperBound]
        if let stream {
            sql = """
                SELECT position, stream, version, type, data, recorded_at, hash FROM events
                WHERE position BETWEEN ? AND ? AND stream = ? ORDER BY position
                """
            arguments += [stream]
        } else {
            sql = """
                SELECT position, stream, version, type, data, recorded_at, hash FROM events
                WHERE position BETWEEN ? AND ? ORDER BY position
                """
        }
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            let event: RecordedEvent
            do {
                event = try decode(row)
            } catch let error as LedgerError where skipCorrupt {
                _ = error
                continue
            }
            try body(event)
        }
    }

    /// Each event at positions in `range`, for a replay: its position, time and payload only. The common
    /// flat payloads are read without `JSONDecoder` (`FlatPayload`); the rest, and anything unexpected,
    /// the normal way. A payload that is not UTF-8 or does not decode throws `corruptEvent`, as in
    /// `forEach`.
    public static func forEachForReplay(
        in db: Database,
        positions range: ClosedRange<Int64>,
        _ body: (_ position: Int64, _ recordedAt: Int64, _ event: LedgerEvent) throws -> Void
    ) throws {
        try forEachRowForReplay(in: db, positions: range) { row in
            try body(row.position, row.recordedAt, try row.decode())
        }
    }

    /// The same rows, not yet decoded: a rebuild decodes some of them on its fold thread.
    ///
    /// The columns are read straight from the statement through SQLite's C API while GRDB's cursor
    /// stands on the row, so a payload is copied once, from SQLite's buffer into the row's bytes.
    public static func forEachRowForReplay(
        in db: Database,
        positions range: ClosedRange<Int64>,
        _ body: (ReplayRow) throws -> Void
    ) throws {
        let statement = try db.makeStatement(
            sql: "SELECT position, type, data, recorded_at FROM events WHERE position BETWEEN ? AND ? ORDER BY position"
        )
        let rows = try Row.fetchCursor(statement, arguments: [range.lowerBound, range.upperBound])
        let handle = statement.sqliteStatement
        while try rows.next() != nil {
            try body(
                ReplayRow(
                    position: sqlite3_column_int64(handle, 0),
                    recordedAt: sqlite3_column_int64(handle, 3),
                    type: String(decoding: columnBytes(handle, 1, text: true), as: UTF8.self),
                    bytes: Array(columnBytes(handle, 2, text: false))
                )
            )
        }
    }

    /// The bytes of a column of the current row, valid until the statement moves on.
    static func columnBytes(_ handle: OpaquePointer, _ column: Int32, text: Bool) -> UnsafeBufferPointer<UInt8> {
        let start = text ? UnsafeRawPointer(sqlite3_column_text(handle, column)) : sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        guard let start, count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// All events at positions in `range`, decoded.
    public static func events(in db: Database, positions range: ClosedRange<Int64>) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        try forEach(in: db, positions: range) { events.append($0) }
        return events
    }

    /// The first event of `type` in `stream`, decoded, or nil when the stream has none (an invite's
    /// `invite.requested`, say, which holds what the outbox sends).
    public static func firstEvent(ofType type: String, inStream stream: String, in db: Database) throws -> RecordedEvent? {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT position, stream, version, type, data, recorded_at, hash FROM events
                WHERE stream = ? AND type = ? ORDER BY position LIMIT 1
                """,
            arguments: [stream, type]
        )
        return try row.map(decode)
    }

    /// The last position (0 for an empty ledger).
    public static func headPosition(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM events") ?? 0
    }

    /// The last position recorded at or before `time` (unix ms), or 0.
    public static func lastPosition(atOrBefore time: Int64, in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM events WHERE recorded_at <= ?", arguments: [time]) ?? 0
    }

    static func decode(_ row: Row) throws -> RecordedEvent {
        let position: Int64 = row[0]
        let type: String = row[3]
        // Data is read as bytes so invalid UTF-8 in a tampered file is reported, not replaced.
        let dataBytes: Data = row[4]
        let data = try text(of: Array(dataBytes), at: position)
        let event = try payload(type: type, data: dataBytes, at: position)
        return RecordedEvent(
            position: position,
            stream: row[1],
            version: row[2],
            type: type,
            data: data,
            recordedAt: row[5],
            hash: row[6],
            event: event
        )
    }
}

extension EventReader {
    /// A payload's text; `corruptEvent` when it is not UTF-8 (a tampered file), rather than replaced.
    static func text(of bytes: [UInt8], at position: Int64) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw LedgerError.corruptEvent(position: position, reason: "data is not UTF-8")
        }
        return text
    }

    /// A payload decoded the normal way; `corruptEvent` naming the type when it does not decode.
    static func payload(type: String, data: Data, at position: Int64) throws -> LedgerEvent {
        do {
            return try LedgerEvent.decode(type: type, data: data)
        } catch {
            throw LedgerError.corruptEvent(position: position, reason: "\(type) payload does not decode: \(error)")
        }
    }
}
