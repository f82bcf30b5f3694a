import Foundation
import HarnessKit
import GRDB
import Ledger

/// The floor under the ledger: plain GRDB, one INSERT per transaction into a table shaped like
/// `events` (same columns, constraints and index, no triggers that matter for inserts), WAL, with the
/// given `synchronous`. Rows (JSON payloads from the same workload, random 32-byte hashes) are prepared
/// before the clock starts, so this measures SQLite and the fsync alone.
struct RawSQLiteAppends: Sendable {
    let synchronous: SynchronousMode
    let appends: Int
    let warmup: Int
    let directory: TemporaryDirectory

    static let schema = """
        CREATE TABLE events (
            position    INTEGER PRIMARY KEY,
            stream      TEXT    NOT NULL CHECK (length(stream) BETWEEN 1 AND 200),
            version     INTEGER NOT NULL CHECK (version >= 1),
            type        TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
            data        TEXT    NOT NULL CHECK (json_valid(data)),
            recorded_at INTEGER NOT NULL,
            hash        BLOB    NOT NULL CHECK (length(hash) = 32),
            UNIQUE (stream, version)
        );
        CREATE INDEX events_by_type ON events (type, position);
        """

    private struct Row: Sendable {
        let stream: String
        let version: Int
        let type: String
        let data: String
        let hash: Data

        func arguments(_ position: Int) -> StatementArguments {
            [position, stream, version, type, data, Stopwatch.unixMilliseconds(), hash]
        }
    }

    private static let insert =
        "INSERT INTO events (position, stream, version, type, data, recorded_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"

    /// Blocking `pool.write` on the caller's thread: the cheapest way GRDB commits.
    func run(round: Int) throws -> Sample {
        let (pool, path) = try open("raw-\(synchronous.rawValue.lowercased())-\(round).sqlite")
        defer { try? pool.close(); directory.removeDatabase(at: path) }
        let rows = try makeRows(warmup + appends)
        for (index, row) in rows.enumerated() {
            if index == warmup { break }
            try pool.write { db in try db.cachedStatement(sql: Self.insert).execute(arguments: row.arguments(index + 1)) }
        }
        let written = ProcessIO.bytesWritten()
        let watch = Stopwatch()
        for (index, row) in rows.enumerated().dropFirst(warmup) {
            try pool.write { db in try db.cachedStatement(sql: Self.insert).execute(arguments: row.arguments(index + 1)) }
        }
        return sample(seconds: watch.elapsedSeconds, written: written)
    }

    /// `try await pool.write` (GRDB's async API, as the ledger's writer uses): the same work plus a hop
    /// to GRDB's writer queue and back per transaction.
    func runAsync(round: Int) async throws -> Sample {
        let (pool, path) = try open("raw-async-\(synchronous.rawValue.lowercased())-\(round).sqlite")
        defer { try? pool.close(); directory.removeDatabase(at: path) }
        let rows = try makeRows(warmup + appends)
        for (index, row) in rows.enumerated() {
            if index == warmup { break }
            let arguments = row.arguments(index + 1)
            try await pool.write { db in try db.cachedStatement(sql: Self.insert).execute(arguments: arguments) }
        }
        let written = ProcessIO.bytesWritten()
        let watch = Stopwatch()
        for (index, row) in rows.enumerated().dropFirst(warmup) {
            let arguments = row.arguments(index + 1)
            try await pool.write { db in try db.cachedStatement(sql: Self.insert).execute(arguments: arguments) }
        }
        return sample(seconds: watch.elapsedSeconds, written: written)
    }

    private func open(_ name: String) throws -> (DatabasePool, String) {
        let path = directory.freshDatabase(name)
        let pool = try DatabasePool(path: path)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
            try db.execute(sql: Self.schema)
        }
        return (pool, path)
    }

    private func sample(seconds: Double, written: Double?) -> Sample {
        Sample(
            value: Double(appends) / seconds,
            details: ["mean_latency_us": seconds / Double(appends) * 1e6].merging(ProcessIO.kibPerEvent(from: written, events: appends)) { $1 }
        )
    }

    private func makeRows(_ count: Int) throws -> [Row] {
        var workload = CallWorkload(lane: 0, key: UInt64.random(in: 0...UInt64.max))
        var generator = SystemRandomNumberGenerator()
        return try (0..<count).map { _ in
            let append = workload.nextSingleAppend(now: Stopwatch.unixMilliseconds())
            let version: Int
            switch append.expected {
            case .exact(let current): version = current + 1
            default: version = 1
            }
            let event = append.events[0]
            return Row(
                stream: append.stream,
                version: version,
                type: event.type,
                data: try event.encodedData(),
                hash: Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
            )
        }
    }
}
