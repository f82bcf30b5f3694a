import GRDB
import GRDBSQLite

/// One prepared INSERT, bound and stepped through SQLite's C API: for a rebuild, which writes hundreds
/// of thousands of rows with the same statement. GRDB's `execute(arguments:)` boxes every value into a
/// `DatabaseValue` and checks the arguments on each call; here a row costs its binds and one step.
///
/// The statement is GRDB's, made on the same connection, so it runs inside GRDB's transaction and
/// observation as any other. Columns are bound in the order of the statement's `?` placeholders.
struct RowInserter {
    private let statement: Statement
    private let handle: OpaquePointer
    private var column: Int32 = 0

    init(_ db: Database, sql: String) throws {
        statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
    }

    mutating func bind(_ text: String) {
        column += 1
        var text = text
        let (handle, column) = (handle, column)
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                _ = sqlite3_bind_text(handle, column, "", 0, Self.transient)
                return
            }
            let characters = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            _ = sqlite3_bind_text(handle, column, characters, Int32(bytes.count), Self.transient)
        }
    }

    mutating func bind(_ text: String?) {
        if let text { bind(text) } else { bindNull() }
    }

    mutating func bind(_ value: Int64) {
        column += 1
        sqlite3_bind_int64(handle, column, value)
    }

    mutating func bind(_ value: Int64?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: Int) { bind(Int64(value)) }

    mutating func bindNull() {
        column += 1
        sqlite3_bind_null(handle, column)
    }

    /// Inserts the bound row and clears the bindings for the next one.
    mutating func step() throws {
        column = 0
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
    }

    /// SQLite copies the bytes before the bind returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
