import Foundation
public import GRDB
import GRDBSQLite
import Synchronization

/// The append-only event ledger on one SQLite file (docs/LEDGER.md).
///
/// Appends go through a group commit on one writer thread (`AppendWriter`): concurrent callers share
/// transactions, each caller's append is checked against its expected versions, and the projector
/// updates the read models in the same transaction. Reads use the pool's concurrent WAL readers.
public final class EventStore: Sendable {
    public let configuration: LedgerConfiguration
    let pool: DatabasePool
    private let projector: (any LedgerProjector)?
    /// The group commit's thread; it holds the store weakly.
    private let writer: AppendWriter<PreparedAppend, Result<[RecordedEvent], LedgerError>>
    private let counters = Mutex(Statistics())
    /// Committed events in position order, for in-process followers.
    public let feed: LedgerFeed

    /// Commit counters since this store was opened.
    public struct Statistics: Sendable, Equatable {
        /// Transactions committed by appends.
        public var transactions = 0
        /// Appends acknowledged (one per `append` call that succeeded).
        public var appends = 0
        /// Events written.
        public var events = 0
        /// Appends refused (version conflicts and invalid appends).
        public var refused = 0
    }

    /// Opens (creating if needed) the ledger file and applies the migrations.
    public init(configuration: LedgerConfiguration, projector: (any LedgerProjector)? = nil) throws {
        self.configuration = configuration
        self.projector = projector
        var config = Configuration()
        config.busyMode = .timeout(configuration.busyTimeout)
        config.label = "ledger"
        let walSizeLimit = max(0, configuration.walSizeLimit)
        let checkpointFrames = max(1, configuration.checkpointFrames)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_size_limit = \(walSizeLimit)")
            // Only the writer commits, so only its setting matters; every connection gets it alike.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(checkpointFrames)")
        }
        do {
            let directory = (configuration.path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            pool = try DatabasePool(path: configuration.path, configuration: config)
            // GRDB selects NORMAL when it turns WAL on; the ledger's durability setting wins.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(configuration.synchronous.rawValue)")
                try Migrator.migrate(db, now: configuration.clock())
            }
            let head = try pool.read { db in try EventReader.headPosition(in: db) }
            feed = LedgerFeed(pool: pool, head: head)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LedgerError.storage(String(describing: error))
        }
        let box = WeakStore()
        writer = AppendWriter(
            maxBatch: configuration.maxBatch,
            name: "ledger-writer",
            refusal: { .failure(.closed) },
            write: { batch in
                guard let store = box.store else { return batch.map { _ in .failure(.closed) } }
                return store.write(batch)
            }
        )
        box.store = self
    }

    deinit {
        writer.stop(wait: false)
    }

    public var statistics: Statistics { counters.withLock { $0 } }

    /// Whether an append batch is being written, and how many appends wait for the next batch.
    var commitQueue: (committing: Bool, queued: Int) { writer.snapshot }

    /// Appends events to one or several streams atomically. Either every event is written and durable
    /// when this returns, or none is and a `LedgerError` says why.
    @discardableResult
    public func append(_ appends: [StreamAppend]) async throws(LedgerError) -> [RecordedEvent] {
        let prepared = try PreparedAppend(appends)
        return try await writer.submit(prepared).get()
    }

    /// Appends events to one stream.
    @discardableResult
    public func append(
        _ events: [LedgerEvent],
        to stream: String,
        expectedVersion: ExpectedVersion
    ) async throws(LedgerError) -> [RecordedEvent] {
        try await append([StreamAppend(stream: stream, expected: expectedVersion, events: events)])
    }

    /// Runs a read on a consistent snapshot of the file.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Runs a read synchronously (for tools).
    public func readSync<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Writes ordinary tables that share the file but are not part of the ledger (owner account,
    /// sessions, API tokens, contacts), in one transaction. Never for events or projections: the
    /// triggers refuse event changes, and projections change only with the events they reflect.
    public func writeRecords<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    /// Runs a write outside the ledger's append path: for rebuilds and maintenance only, never for events.
    public func maintenanceWrite<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction(body)
    }

    /// The version of a stream (0 when it does not exist).
    public func version(of stream: String) async throws -> Int {
        try await read { db in try Self.version(of: stream, in: db) }
    }

    public static func version(of stream: String, in db: Database) throws -> Int {
        Int(try db.fetchInt64(cached: versionSQL, stream) ?? 0)
    }

    private static let versionSQL = "SELECT MAX(version) FROM events WHERE stream = ?"
    private static let headSQL = "SELECT position, hash, recorded_at FROM events ORDER BY position DESC LIMIT 1"
    private static let insertSQL =
        "INSERT INTO events (position, stream, version, type, data, recorded_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"

    /// Stops the writer (appends after this fail with `ledger_closed`), ends the feed's followers, copies
    /// the write-ahead log into the file and empties it, then closes the file.
    public func close() throws {
        writer.stop(wait: true)
        feed.finish()
        emptyLog()
        try pool.close()
    }

    /// Copies every page of the write-ahead log into the database file and cuts the log to zero bytes
    /// (`wal_checkpoint(TRUNCATE)`), so that a closed ledger is one file whatever it last wrote.
    ///
    /// SQLite does this by itself when the last connection to a file closes, but GRDB's pool closes its
    /// writer before its readers: the writer then cannot take the exclusive lock it needs, and the
    /// read-only readers may not checkpoint at all. Best effort and without waiting: when another
    /// process (a running gateway, or `crow-ledger` beside it) is still reading, the log stays and that
    /// process's own checkpoints go on as usual. The writer's busy timeout is put back afterwards, since a
    /// pool that then fails to close stays open for writing.
    private func emptyLog() {
        let busyTimeout = CInt(configuration.busyTimeout * 1000)  // as GRDB set it when it opened the connection
        pool.writeWithoutTransaction { db in
            sqlite3_busy_timeout(db.sqliteConnection, 0)
            sqlite3_wal_checkpoint_v2(db.sqliteConnection, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
            sqlite3_busy_timeout(db.sqliteConnection, busyTimeout)
        }
    }

    // MARK: - Writing

    /// Writes one batch in one transaction, on the writer thread (`AppendWriter`), and publishes it.
    private func write(_ batch: [PreparedAppend]) -> [Result<[RecordedEvent], LedgerError>] {
        let projector = self.projector
        let clock = configuration.clock
        let outcome: Result<[Result<[RecordedEvent], LedgerError>], any Error>
        outcome = Result {
            try pool.writeWithoutTransaction { db in
                var results: [Result<[RecordedEvent], LedgerError>] = []
                // First without savepoints: versions are checked before anything is written, so a conflict
                // leaves no trace anyway. Only a failure after an append's first write (a projection's
                // constraint, say) needs one; then the transaction is rolled back and the batch is written
                // again with one savepoint per append, so that failure refuses its own append only.
                var guarded = false
                while true {
                    do {
                        try db.inImmediateTransaction {
                            results = try Self.writeBatch(batch, in: db, projector: projector, clock: clock, savepoints: guarded)
                            // A lone append's transaction is its savepoint: refused, it is rolled back.
                            if batch.count == 1, case .failure = results[0] { return .rollback }
                            return .commit
                        }
                        return results
                    } catch is NeedsSavepoints where !guarded {
                        guarded = true
                    }
                }
            }
        }
        switch outcome {
        case .success(let results):
            // Published before the next batch can start, so followers see positions in order.
            feed.publish(results.flatMap { (try? $0.get()) ?? [] })
            counters.withLock { counters in
                counters.transactions += 1
                for result in results {
                    switch result {
                    case .success(let events):
                        counters.appends += 1
                        counters.events += events.count
                    case .failure:
                        counters.refused += 1
                    }
                }
            }
            return results
        case .failure(let error):
            let failure = LedgerError.storage(String(describing: error))
            return batch.map { _ in .failure(failure) }
        }
    }

    /// Writes one batch inside an open transaction.
    ///
    /// Each append's expected versions are checked before any of its events is written, so a conflict
    /// refuses that append alone. With `savepoints`, each append also runs in its own savepoint, so any
    /// later failure (a projection's constraint) refuses it alone too. Without, such a failure throws
    /// `NeedsSavepoints` when the batch holds other appends, and the caller writes the batch again with
    /// savepoints; a lone append's failure is returned, and its transaction rolled back by the caller.
    private static func writeBatch(
        _ batch: [PreparedAppend],
        in db: Database,
        projector: (any LedgerProjector)?,
        clock: () -> Int64,
        savepoints: Bool
    ) throws -> [Result<[RecordedEvent], LedgerError>] {
        let last = try db.fetchFirstRow(cached: headSQL) { row in
            (
                position: sqlite3_column_int64(row, 0),
                hash: Data(EventReader.columnBytes(row, 1, text: false)),
                recordedAt: sqlite3_column_int64(row, 2)
            )
        }
        var head = last.map { (position: $0.position, hash: $0.hash) } ?? (position: 0, hash: HashChain.genesis)
        // recorded_at never goes backwards, even when the wall clock does, so time ranges are position ranges.
        let recordedAt = max(clock(), last?.recordedAt ?? 0)
        var results: [Result<[RecordedEvent], LedgerError>] = []
        results.reserveCapacity(batch.count)
        for append in batch {
            var versions: [Int] = []
            do {
                for stream in append.streams {
                    let actual = try version(of: stream.stream, in: db)
                    guard stream.expected.admits(actual) else {
                        throw LedgerError.versionConflict(stream: stream.stream, expected: stream.expected, actual: actual)
                    }
                    versions.append(actual)
                }
            } catch let error as LedgerError {
                results.append(.failure(error))
                continue
            }
            let before = head
            var written: [RecordedEvent] = []
            do {
                try db.inOptionalSavepoint(savepoints) {
                    for (stream, actual) in zip(append.streams, versions) {
                        var version = actual
                        for event in stream.events {
                            version += 1
                            let position = head.position + 1
                            let hash = HashChain.hash(
                                previous: head.hash,
                                position: position,
                                stream: stream.stream,
                                version: version,
                                type: event.type,
                                recordedAt: recordedAt,
                                data: event.data
                            )
                            try db.execute(
                                cached: insertSQL, position, stream.stream, version, event.type, event.data, recordedAt, hash
                            )
                            head = (position, hash)
                            written.append(
                                RecordedEvent(
                                    position: position,
                                    stream: stream.stream,
                                    version: version,
                                    type: event.type,
                                    data: event.data,
                                    recordedAt: recordedAt,
                                    hash: hash,
                                    event: event.event
                                )
                            )
                        }
                    }
                    try projector?.apply(written, in: db)
                    return .commit
                }
                results.append(.success(written))
            } catch let error as LedgerError {
                guard savepoints || batch.count == 1 else { throw NeedsSavepoints() }
                head = before
                results.append(.failure(error))
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                // A constraint of a projection (say, a token hash issued twice) refuses this append only.
                guard savepoints || batch.count == 1 else { throw NeedsSavepoints() }
                head = before
                results.append(.failure(.invalidAppend(error.message ?? "constraint failed")))
            }
        }
        try projector?.finishBatch(through: head.position, in: db)
        return results
    }
}

/// The writer thread's handle on its store: weak, so a store dropped without `close()` is freed and
/// its writer thread ends.
private final class WeakStore: @unchecked Sendable {
    // Written once in `EventStore.init` before the writer can take a request, then only read.
    weak var store: EventStore?
}

/// An append of a batch written without savepoints failed after writing: the batch is written again
/// with one savepoint per append.
private struct NeedsSavepoints: Error {}

extension Database {
    /// Runs `body` in a savepoint when `enabled`, else directly (the caller then owns the rollback).
    fileprivate func inOptionalSavepoint(_ enabled: Bool, _ body: () throws -> TransactionCompletion) throws {
        if enabled {
            try inSavepoint(body)
        } else if try body() == .rollback {
            throw LedgerError.invalidAppend("rolled back")
        }
    }
}

/// An append whose payloads are already encoded, so the writer only hashes and inserts.
struct PreparedAppend: Sendable {
    struct Event: Sendable {
        let type: String
        let data: String
        let event: LedgerEvent
    }

    struct Stream: Sendable {
        let stream: String
        let expected: ExpectedVersion
        let events: [Event]
    }

    let streams: [Stream]

    init(_ appends: [StreamAppend]) throws(LedgerError) {
        guard appends.contains(where: { !$0.events.isEmpty }) else {
            throw .invalidAppend("an append needs at least one event")
        }
        guard Set(appends.map(\.stream)).count == appends.count else {
            throw .invalidAppend("a stream may appear only once in an append")
        }
        var streams: [Stream] = []
        for append in appends {
            guard !append.stream.isEmpty, append.stream.utf8.count <= 200 else {
                throw .invalidAppend("stream names are 1 to 200 bytes")
            }
            var events: [Event] = []
            for event in append.events {
                let data: String
                do {
                    data = try event.encodedData()
                } catch let error as LedgerError {
                    throw error
                } catch {
                    throw .invalidAppend("cannot encode \(event.type): \(error)")
                }
                events.append(Event(type: event.type, data: data, event: event))
            }
            streams.append(Stream(stream: append.stream, expected: append.expected, events: events))
        }
        self.streams = streams
    }
}
