public import Foundation
public import GRDB
import GRDBSQLite

/// A value that binds straight to a `?` of a prepared statement through SQLite's C API.
///
/// The append path runs a handful of statements per event on the one writer thread. GRDB's
/// `execute(arguments:)` boxes each value into a `DatabaseValue` inside a `StatementArguments` array
/// and checks them on every call; binding the typed values directly leaves one C call per value.
public protocol SQLiteBindable {
    /// Binds the value to placeholder `index` (1-based) of `statement`; returns SQLite's result code
    /// (`SQLITE_TOOBIG` for a value over SQLite's length limit, say).
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

extension String: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = self
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                // An empty string is text, not NULL: SQLite needs a pointer for that.
                return sqlite3_bind_text(statement, index, "", 0, SQLiteTransient.destructor)
            }
            let start = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            // The 64-bit length: no conversion that could trap, and SQLite refuses what is too long.
            return sqlite3_bind_text64(
                statement, index, start, sqlite3_uint64(bytes.count), SQLiteTransient.destructor, UInt8(SQLITE_UTF8)
            )
        }
    }
}

extension Int64: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, self)
    }
}

extension Int: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, Int64(self))
    }
}

extension Data: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                // An empty blob is a blob, not NULL.
                return sqlite3_bind_zeroblob(statement, index, 0)
            }
            return sqlite3_bind_blob64(statement, index, base, sqlite3_uint64(bytes.count), SQLiteTransient.destructor)
        }
    }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    public func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        if let self { self.bind(to: statement, at: index) } else { sqlite3_bind_null(statement, index) }
    }
}

/// SQLite copies text and blobs bound with this destructor before the bind returns.
enum SQLiteTransient {
    static let destructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

extension Database {
    /// Runs a statement prepared once per connection (GRDB's statement cache) with `values` bound in
    /// the order of its placeholders, stepping it to the end.
    ///
    /// The statement runs inside GRDB's transaction like any other; what is skipped is GRDB's per-call
    /// argument boxing and its observation bookkeeping, which the ledger does not use (nothing observes
    /// the ledger's connection through GRDB). A failure throws a `DatabaseError` with SQLite's code, as
    /// GRDB's own `execute` would, and leaves the statement reset for the next call.
    public func execute<each Value: SQLiteBindable>(cached sql: String, _ values: repeat each Value) throws {
        let handle = try bind(cached: sql, repeat each values)
        defer { sqlite3_reset(handle) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE: return
            case SQLITE_ROW: continue
            case let code: throw DatabaseError.refused(code, by: handle, sql: sql)
            }
        }
    }

    /// The first column of the first row of a cached query, as an integer; nil when there is no row or
    /// the value is NULL.
    public func fetchInt64<each Value: SQLiteBindable>(cached sql: String, _ values: repeat each Value) throws -> Int64? {
        try fetchFirstRow(cached: sql, repeat each values) { row in
            sqlite3_column_type(row, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(row, 0)
        } ?? nil
    }

    /// Reads the first row of a cached query with `read`, which gets the statement positioned on that
    /// row (for `sqlite3_column_*`); nil when the query returns no row.
    public func fetchFirstRow<each Value: SQLiteBindable, Result>(
        cached sql: String,
        _ values: repeat each Value,
        read: (OpaquePointer) throws -> Result
    ) throws -> Result? {
        let handle = try bind(cached: sql, repeat each values)
        defer { sqlite3_reset(handle) }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return try read(handle)
        case SQLITE_DONE: return nil
        case let code: throw DatabaseError.refused(code, by: handle, sql: sql)
        }
    }

    private func bind<each Value: SQLiteBindable>(cached sql: String, _ values: repeat each Value) throws -> OpaquePointer {
        let handle = try cachedStatement(sql: sql).sqliteStatement
        // A statement left mid-way by an earlier failure, or by GRDB, starts over.
        sqlite3_reset(handle)
        var index: Int32 = 0
        var failure = SQLITE_OK
        for value in repeat each values {
            index += 1
            let code = value.bind(to: handle, at: index)
            if failure == SQLITE_OK { failure = code }
        }
        guard failure == SQLITE_OK else { throw DatabaseError.refused(failure, by: handle, sql: sql) }
        // Bindings outlive a reset, so a missing value would silently reuse the previous call's.
        guard index == sqlite3_bind_parameter_count(handle) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "wrong number of statement arguments: \(index) for \(sqlite3_bind_parameter_count(handle))",
                sql: sql
            )
        }
        return handle
    }
}

extension DatabaseError {
    /// The error GRDB would throw for `code` from a bind or a step of `statement`, with SQLite's message
    /// for it; read before the statement is reset, which clears the message.
    package static func refused(_ code: Int32, by statement: OpaquePointer, sql: String) -> DatabaseError {
        let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(statement)))
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql)
    }
}
