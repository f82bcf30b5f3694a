import Foundation
import GRDB
import Ledger
import Testing
import TestSupport

/// SQLite runs in multi-thread mode in every process that links the ledger (`SQLiteThreading`).
@Suite struct SQLiteThreadingTests {
    /// The setting is made as the process loads, before any test can open a connection, so this holds
    /// whichever test runs first.
    @Test func thisProcessRunsSQLiteInMultiThreadMode() {
        #expect(SQLiteThreading.multiThread)
    }

    /// Without the connection mutex, GRDB's one-thread-at-a-time access is what keeps a connection
    /// safe: many readers and appenders at once on one ledger still see every event once, in order.
    @Test func concurrentAppendsAndReadsStayConsistent() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<16 {
                group.addTask {
                    let code = roomCode(lane)
                    try await store.append([roomCreated(code, maxPeers: 8)], to: StreamName.room(code), expectedVersion: .noStream)
                    for n in 1...8 {
                        try await store.append(
                            [peerJoined(code, peer: "p\(n)")], to: StreamName.room(code), expectedVersion: .exact(n)
                        )
                    }
                }
                group.addTask {
                    for _ in 0..<20 {
                        let positions = try await store.read { db in
                            try Int64.fetchAll(db, sql: "SELECT position FROM events ORDER BY position")
                        }
                        #expect(positions == Array(1...Int64(positions.count)))
                    }
                }
            }
            try await group.waitForAll()
        }
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        #expect(report.events == 16 * 9)
        try store.close()
    }
}
