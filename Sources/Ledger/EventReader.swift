public import Foundation
public import GRDB

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
        let statement = try db.makeStatement(
            sql: "SELECT position, type, data, recorded_at FROM events WHERE position BETWEEN ? AND ? ORDER BY position"
        )
        let rows = try Row.fetchCursor(statement, arguments: [range.lowerBound, range.upperBound])
        while let row = try rows.next() {
            let position: Int64 = row[0]
            let type: String = row[1]
            let bytes: [UInt8] = try row.withUnsafeData(atIndex: 2) { data in data.map { Array($0) } ?? [] }
            // Plain ASCII is valid UTF-8; anything else is checked the way `forEach` checks it.
            if !bytes.allSatisfy({ $0 < 0x80 }) { _ = try text(of: bytes, at: position) }
            let event = try FlatPayload.decode(type: type, bytes: bytes) ?? payload(type: type, data: Data(bytes), at: position)
            try body(position, row[3], event)
        }
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
