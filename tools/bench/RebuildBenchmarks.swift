import GRDB
import Ledger
import Projections

/// Replays of a filled ledger: the two rebuilds `ProjectionRebuilder` offers, plus two diagnostics that
/// show where a rebuild's time goes (reading and decoding events without projecting them, and the bare
/// SQLite scan of the `events` table).
struct RebuildBenchmarks: Sendable {
    let store: EventStore

    /// `ProjectionRebuilder.rebuildInPlace`: clears the live projection tables and replays every event
    /// in one transaction on the ledger file.
    func inPlace() throws -> Sample {
        let watch = Stopwatch()
        let count = try ProjectionRebuilder.rebuildInPlace(store)
        return Sample(value: Double(count) / watch.elapsedSeconds, details: ["events": Double(count)])
    }

    /// `ProjectionRebuilder.rebuildSnapshot`: replays every event into a fresh in-memory database.
    func snapshot() throws -> Sample {
        let watch = Stopwatch()
        let snapshot = try ProjectionRebuilder.rebuildSnapshot(of: store)
        let seconds = watch.elapsedSeconds
        let count = try snapshot.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM projection_checkpoints") ?? 0 }
        return Sample(value: Double(count) / seconds, details: ["events": Double(count)])
    }

    /// `EventReader.forEach` over the whole ledger: SQLite scan + UTF-8 check + JSON decode, no projection.
    func readAndDecode() throws -> Sample {
        let watch = Stopwatch()
        var count = 0
        try store.readSync { db in
            try EventReader.forEach(in: db) { _ in count += 1 }
        }
        return Sample(value: Double(count) / watch.elapsedSeconds)
    }

    /// What the rebuild reads: `EventReader.forEachForReplay` over every event (the flat payloads by
    /// `FlatPayload`, the rest by `JSONDecoder`), with no fold and no writes.
    func replayRead() throws -> Sample {
        let watch = Stopwatch()
        var count = 0
        try store.readSync { db in
            let head = try EventReader.headPosition(in: db)
            guard head > 0 else { return }
            try EventReader.forEachForReplay(in: db, positions: 1...head) { _, _, _ in count += 1 }
        }
        return Sample(value: Double(count) / watch.elapsedSeconds)
    }

    /// The SQLite floor: a cursor over the seven columns of every event, values fetched, nothing decoded.
    func scanOnly() throws -> Sample {
        let watch = Stopwatch()
        var count = 0
        var bytes = 0
        try store.readSync { db in
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT position, stream, version, type, data, recorded_at, hash FROM events ORDER BY position"
            )
            while let row = try rows.next() {
                let data: String = row[4]
                bytes += data.utf8.count
                count += 1
            }
        }
        return Sample(value: Double(count) / watch.elapsedSeconds, details: ["mean_payload_bytes": Double(bytes) / Double(max(count, 1))])
    }
}
