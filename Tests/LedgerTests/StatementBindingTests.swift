import Foundation
import GRDB
import GRDBSQLite
import Ledger
import Testing

/// The append path binds typed values straight to SQLite (`Database.execute(cached:_:)`): each type must
/// land as the column type GRDB would have stored, failures must carry SQLite's code, and a statement
/// must be reusable after any failure without keeping the failed call's values.
@Suite struct StatementBindingTests {
    private static let insert = "INSERT INTO t (id, name, count, blob, note) VALUES (?, ?, ?, ?, ?)"

    private func table() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, count INTEGER, blob BLOB, note TEXT)")
        }
        return queue
    }

    @Test func valuesKeepTheirTypes() throws {
        let queue = try table()
        try queue.write { db in
            try db.execute(cached: Self.insert, Int64(1), "Zoë 🐦", 42, Data([0, 1, 255]), String?.none)
            try db.execute(cached: Self.insert, Int64(2), "", Int.max, Data(), Optional("kept"))
        }
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT typeof(name), name, typeof(count), count, typeof(blob), blob, typeof(note), note FROM t ORDER BY id")
        }
        #expect(rows.count == 2)
        #expect(rows[0][0] == "text" && rows[0][1] == "Zoë 🐦")
        #expect(rows[0][2] == "integer" && rows[0][3] == 42)
        #expect(rows[0][4] == "blob" && rows[0][5] == Data([0, 1, 255]))
        #expect(rows[0][6] == "null")
        // An empty string is text, not NULL; an empty blob is a blob.
        #expect(rows[1][0] == "text" && rows[1][1] == "")
        #expect(rows[1][3] == Int64(Int.max))
        #expect(rows[1][4] == "blob")
        #expect(rows[1][6] == "text" && rows[1][7] == "kept")
    }

    @Test func aConstraintFailureCarriesSQLitesCodeAndTheStatementStaysUsable() throws {
        let queue = try table()
        try queue.write { db in
            try db.execute(cached: Self.insert, Int64(1), "ada", 1, Data([1]), String?.none)
            let error = #expect(throws: DatabaseError.self) {
                try db.execute(cached: Self.insert, Int64(2), "ada", 2, Data([2]), String?.none)
            }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
            #expect(error?.message?.contains("UNIQUE") == true)
            try db.execute(cached: Self.insert, Int64(3), "grace", 3, Data([3]), String?.none)
        }
        let names = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY id") }
        #expect(names == ["ada", "grace"])
    }

    @Test func theWrongNumberOfValuesIsRefusedAndNothingIsWritten() throws {
        let queue = try table()
        try queue.write { db in
            try db.execute(cached: Self.insert, Int64(1), "ada", 1, Data([1]), "first")
            // Bindings outlive a reset: a call one value short must not reuse the previous call's `note`.
            let error = #expect(throws: DatabaseError.self) {
                try db.execute(cached: Self.insert, Int64(2), "grace", 2, Data([2]))
            }
            #expect(error?.resultCode == .SQLITE_MISUSE)
        }
        let count = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t") }
        #expect(count == 1)
    }

    @Test func aValueOverSQLitesLengthLimitIsRefusedAndNothingIsWritten() throws {
        let queue = try table()
        try queue.write { db in
            sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, 64)
            try db.execute(cached: Self.insert, Int64(1), "ada", 1, Data([1]), String?.none)
            let text = #expect(throws: DatabaseError.self) {
                try db.execute(cached: Self.insert, Int64(2), String(repeating: "x", count: 65), 2, Data([2]), String?.none)
            }
            #expect(text?.resultCode == .SQLITE_TOOBIG)
            let blob = #expect(throws: DatabaseError.self) {
                try db.execute(cached: Self.insert, Int64(3), "grace", 3, Data(count: 65), String?.none)
            }
            #expect(blob?.resultCode == .SQLITE_TOOBIG)
            // The statement is usable again, with none of the refused calls' values left in it.
            try db.execute(cached: Self.insert, Int64(4), "linus", 4, Data([4]), String?.none)
        }
        let names = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM t ORDER BY id") }
        #expect(names == ["ada", "linus"])
    }

    @Test func fetchingOneIntegerTellsNoRowAndNullFromAValue() throws {
        let queue = try table()
        try queue.write { db in
            try db.execute(cached: Self.insert, Int64(7), "ada", 5, Data(), String?.none)
            try db.execute(cached: Self.insert, Int64(8), "grace", Int?.none, Data(), String?.none)
        }
        try queue.read { db in
            let sql = "SELECT count FROM t WHERE name = ?"
            #expect(try db.fetchInt64(cached: sql, "ada") == 5)
            #expect(try db.fetchInt64(cached: sql, "grace") == nil)
            #expect(try db.fetchInt64(cached: sql, "nobody") == nil)
            #expect(try db.fetchInt64(cached: "SELECT MAX(id) FROM t") == 8)
            let row = try db.fetchFirstRow(cached: "SELECT id, name FROM t WHERE id > ? ORDER BY id", Int64(7)) { row in
                (sqlite3_column_int64(row, 0), String(cString: sqlite3_column_text(row, 1)))
            }
            #expect(row?.0 == 8 && row?.1 == "grace")
        }
    }
}
