import Foundation
import GRDB
import Ledger
import Projections
import Testing
import TestSupport

/// The write-ahead log on disk: emptied into the file when the ledger closes, checkpointed at its frame
/// count and reused at one size, and cut back to its limit when it starts over after a large transaction.
@Suite struct WriteAheadLogTests {
    @Test func closingCopiesTheLogIntoTheFileAndEmptiesIt() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        for n in 0..<50 {
            try await store.append([roomCreated(roomCode(n))], to: StreamName.room(roomCode(n)), expectedVersion: .noStream)
        }
        let log = dir.file("ledger.sqlite") + "-wal"
        #expect(Self.size(of: log) > 0, "the appends are in the log while the ledger is open")
        try store.close()
        #expect(Self.size(of: log) == 0)

        // The database file alone now holds every event: a copy of it without its log opens with all 50.
        let copy = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: dir.file("ledger.sqlite"), toPath: copy.file("ledger.sqlite"))
        let count = try await rawQueue(copy.file("ledger.sqlite")).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") }
        #expect(count == 50)
    }

    /// SQLite reuses its log from the start rather than shrinking it, so one large transaction used to
    /// leave a log that size on disk for good. With the limit, the first commit after the log starts over
    /// cuts it back; the events are all still there.
    @Test func aLargeTransactionsLogIsCutBackWhenTheLogStartsOver() async throws {
        let dir = try TemporaryDirectory()
        let limit = 64 << 10
        let store = try EventStore(
            configuration: LedgerConfiguration(path: dir.file("ledger.sqlite"), walSizeLimit: limit, checkpointFrames: 1000),
            projector: CallProjector()
        )
        // More than the 1,000 pages after which this store's commits checkpoint the log into the file.
        let rooms = (0..<12_000).map { "room" + String(100_000_000 + $0).dropFirst() }
        try await store.append(rooms.map { StreamAppend(stream: StreamName.room($0), expected: .noStream, events: [roomCreated($0)]) })
        let log = dir.file("ledger.sqlite") + "-wal"
        let peak = Self.size(of: log)
        #expect(peak > 4 << 20, "the transaction wrote \(peak) bytes of log")

        try await store.append([peerJoined(rooms[0], peer: "p1")], to: StreamName.room(rooms[0]), expectedVersion: .exact(1))
        #expect(Self.size(of: log) <= limit)
        #expect(try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") } == 12_001)
        try store.close()
    }

    /// The writer checkpoints every `checkpointFrames` pages, and the log file is then reused from its
    /// start at the size it reached, neither growing past that nor cut back below it, so ordinary
    /// commits overwrite a file of constant size.
    @Test func theLogIsCheckpointedAtItsFrameCountAndReusedAtOneSize() async throws {
        let dir = try TemporaryDirectory()
        let frames = 40
        let store = try EventStore(
            configuration: LedgerConfiguration(path: dir.file("ledger.sqlite"), checkpointFrames: frames),
            projector: CallProjector()
        )
        #expect(try store.maintenanceWrite { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") } == frames)
        let log = dir.file("ledger.sqlite") + "-wal"
        let frameSize = 4096 + 24
        var sizes: [Int] = []
        for n in 0..<150 {
            try await store.append([roomCreated(roomCode(n))], to: StreamName.room(roomCode(n)), expectedVersion: .noStream)
            sizes.append(Self.size(of: log))
        }
        // 150 commits of several pages each went through a log that never held more than the frame
        // count and one commit's pages beyond it.
        #expect(sizes.max()! <= 32 + (frames + 20) * frameSize, "log sizes: \(sizes)")
        #expect(sizes.max()! >= frames * frameSize, "log sizes: \(sizes)")
        #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0 <= $1 }, "the log was cut back: \(sizes)")
        #expect(try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") } == 150)
        try store.close()
    }

    /// The file's size in bytes; 0 when it does not exist.
    private static func size(of path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }
}
