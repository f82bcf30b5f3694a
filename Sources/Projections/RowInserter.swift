import GRDB
import GRDBSQLite
import Ledger

/// One prepared INSERT, bound and stepped through SQLite's C API: for a rebuild, which writes hundreds
/// of thousands of rows with the same statement. Values bind as the append path's do (`SQLiteBindable`),
/// so a row costs its binds and one step.
///
/// The statement is GRDB's, made on the same connection, so it runs inside GRDB's transaction and
/// observation as any other. Columns are bound in the order of the statement's `?` placeholders.
struct RowInserter {
    private let statement: Statement
    private let handle: OpaquePointer
    private var column: Int32 = 0
    /// The first bind of the row that SQLite refused; the row's `step` reports it.
    private var failure = SQLITE_OK

    init(_ db: Database, sql: String) throws {
        statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
    }

    /// Binds the next placeholder.
    mutating func bind(_ value: some SQLiteBindable) {
        column += 1
        let code = value.bind(to: handle, at: column)
        if failure == SQLITE_OK { failure = code }
    }

    /// Inserts the bound row and clears the bindings for the next one.
    mutating func step() throws {
        column = 0
        let bound = failure
        failure = SQLITE_OK
        let code = bound == SQLITE_OK ? sqlite3_step(handle) : bound
        guard code == SQLITE_DONE else {
            let error = DatabaseError.refused(code, by: handle, sql: statement.sql)
            sqlite3_reset(handle)
            throw error
        }
        sqlite3_reset(handle)
    }
}
