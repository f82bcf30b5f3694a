import Foundation
import GRDB
import GRDBSQLite
@testable import Ledger
import Testing

/// The append path's transaction (`Database.inImmediateTransaction`) keeps `BEGIN` and `COMMIT` prepared
/// across transactions. It must commit, roll back and report failures exactly as GRDB's
/// `inTransaction(.immediate)` does, and leave the connection ready for the next transaction every time.
@Suite struct ImmediateTransactionTests {
    private func database() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            try db.execute(sql: """
                CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE child (
                    id INTEGER PRIMARY KEY,
                    parent INTEGER NOT NULL REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED
                );
                """)
        }
        return queue
    }

    private func parents(_ queue: DatabaseQueue) throws -> [Int64] {
        try queue.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM parent ORDER BY id") }
    }

    private struct Refused: Error, Equatable {}

    @Test func commitsAndRunsAgainOnTheSameStatements() throws {
        let queue = try database()
        try queue.writeWithoutTransaction { db in
            for id in 1...3 {
                try db.inImmediateTransaction {
                    #expect(sqlite3_get_autocommit(db.sqliteConnection) == 0)
                    try db.execute(cached: "INSERT INTO parent (id) VALUES (?)", Int64(id))
                    return .commit
                }
                #expect(sqlite3_get_autocommit(db.sqliteConnection) != 0)
                #expect(!db.isInsideTransaction)
            }
        }
        #expect(try parents(queue) == [1, 2, 3])
    }

    @Test func rollbackAndAThrownErrorLeaveNothing() throws {
        let queue = try database()
        try queue.writeWithoutTransaction { db in
            try db.inImmediateTransaction {
                try db.execute(cached: "INSERT INTO parent (id) VALUES (?)", Int64(1))
                return .rollback
            }
            #expect(!db.isInsideTransaction)
            #expect(throws: Refused()) {
                try db.inImmediateTransaction {
                    try db.execute(cached: "INSERT INTO parent (id) VALUES (?)", Int64(2))
                    throw Refused()
                }
            }
            #expect(!db.isInsideTransaction)
        }
        #expect(try parents(queue) == [])
    }

    /// A deferred foreign key is checked by `COMMIT` itself: the commit fails, the transaction is rolled
    /// back rather than left open, and the error is the constraint's.
    @Test func aFailedCommitRollsBackAndThrowsItsError() throws {
        let queue = try database()
        try queue.writeWithoutTransaction { db in
            let error = #expect(throws: DatabaseError.self) {
                try db.inImmediateTransaction {
                    try db.execute(cached: "INSERT INTO parent (id) VALUES (?)", Int64(1))
                    try db.execute(cached: "INSERT INTO child (id, parent) VALUES (?, ?)", Int64(1), Int64(99))
                    return .commit
                }
            }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
            #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY)
            #expect(!db.isInsideTransaction)
            // The cached COMMIT works for the next transaction.
            try db.inImmediateTransaction {
                try db.execute(cached: "INSERT INTO parent (id) VALUES (?)", Int64(2))
                return .commit
            }
        }
        #expect(try parents(queue) == [2])
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM child") } == 0)
    }

    /// `BEGIN IMMEDIATE` takes the write lock at once: while another connection holds it, the transaction
    /// is refused with `SQLITE_BUSY` before its body runs.
    @Test func anotherWriterMakesBeginBusyBeforeTheBodyRuns() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("immediate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("t.sqlite").path
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        let holder = try DatabaseQueue(path: path, configuration: configuration)
        let other = try DatabaseQueue(path: path, configuration: configuration)
        try holder.write { db in try db.execute(sql: "CREATE TABLE parent (id INTEGER PRIMARY KEY)") }
        try holder.writeWithoutTransaction { holding in
            try holding.execute(sql: "BEGIN IMMEDIATE")
            other.writeWithoutTransaction { db in
                var ran = false
                let error = #expect(throws: DatabaseError.self) {
                    try db.inImmediateTransaction {
                        ran = true
                        return .commit
                    }
                }
                #expect(error?.resultCode == .SQLITE_BUSY)
                #expect(!ran)
                #expect(!db.isInsideTransaction)
            }
            try holding.execute(sql: "ROLLBACK")
        }
    }
}
