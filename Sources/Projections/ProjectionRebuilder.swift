import Foundation
public import GRDB
public import Ledger

/// Rebuilds read models from the ledger, in place or into a private in-memory copy, and compares a
/// rebuild against the live tables.
public enum ProjectionRebuilder {
    /// Drops every projection row and replays the whole ledger, in one transaction that also blocks
    /// appends. Returns the number of events replayed.
    @discardableResult
    public static func rebuildInPlace(_ store: EventStore, progress: ((Int64, Int64) -> Void)? = nil) throws -> Int64 {
        try store.maintenanceWrite { db in
            var count: Int64 = 0
            try db.inTransaction(.immediate) {
                count = try replay(into: db, from: db, through: Int64.max, progress: progress)
                return .commit
            }
            return count
        }
    }

    /// A fresh in-memory database holding the schema and the projections of events `1...position`
    /// (the whole ledger by default). The live file is only read.
    public static func rebuildSnapshot(
        of store: EventStore,
        through position: Int64 = Int64.max,
        progress: ((Int64, Int64) -> Void)? = nil
    ) throws -> DatabaseQueue {
        try store.readSync { live in try rebuildSnapshot(from: live, through: position, progress: progress) }
    }

    /// The same, reading the events from any open connection (a read-only one, for `crow-ledger`).
    public static func rebuildSnapshot(
        from live: Database,
        through position: Int64 = Int64.max,
        progress: ((Int64, Int64) -> Void)? = nil
    ) throws -> DatabaseQueue {
        let snapshot = try DatabaseQueue()
        try snapshot.writeWithoutTransaction { db in
            try Migrator.migrate(db, now: 0)
        }
        try snapshot.inTransaction { db in
            _ = try replay(into: db, from: live, through: position, progress: progress)
            return .commit
        }
        return snapshot
    }

    /// Clears the projections of `target` and rebuilds them from the events of `source` up to `position`:
    /// folded in memory (`ProjectionFold`, on its own thread while this one reads and decodes the
    /// events, `FoldThread`), then each table written once.
    ///
    /// The old rows are cleared after the reading, while the fold thread folds its last chunks and
    /// sorts the rows' order: the two threads overlap there too.
    static func replay(
        into target: Database,
        from source: Database,
        through position: Int64,
        progress: ((Int64, Int64) -> Void)?
    ) throws -> Int64 {
        let head = min(try EventReader.headPosition(in: source), position)
        let folder = FoldThread()
        var count: Int64 = 0
        var events: [FoldThread.Event] = []
        var rows: [ReplayRow] = []
        events.reserveCapacity(FoldThread.chunkSize)
        rows.reserveCapacity(FoldThread.chunkSize)
        var handOverRows = folder.isHungry
        do {
            // An empty ledger has no range to read: the fold stays empty and the tables are cleared.
            if head > 0 {
                try EventReader.forEachRowForReplay(in: source, positions: 1...head) { row in
                    if handOverRows {
                        rows.append(row)
                    } else {
                        events.append(FoldThread.Event(position: row.position, recordedAt: row.recordedAt, event: try row.decode()))
                    }
                    if rows.count + events.count == FoldThread.chunkSize {
                        folder.submit(handOverRows ? .rows(rows) : .events(events))
                        rows.removeAll(keepingCapacity: true)
                        events.removeAll(keepingCapacity: true)
                        handOverRows = folder.isHungry
                    }
                    count += 1
                    if count % 50_000 == 0 { progress?(count, head) }
                }
            }
            folder.submit(handOverRows ? .rows(rows) : .events(events))
            folder.endInput()
            for projection in CallProjector.projections { try projection.reset(in: target) }
        } catch {
            // An error of the fold thread comes from an earlier event than this one: that one is reported.
            if case .failure(let foldError) = Result(catching: { try folder.finish() }) { throw foldError }
            throw error
        }
        let (fold, order) = try folder.finish()
        try fold.write(into: target, order: order)
        try CallProjector.setCheckpoints(head, in: target)
        progress?(count, head)
        // Freeing every row of the fold takes about a tenth of a rebuild; it happens on another thread
        // and the rebuild returns without waiting for it.
        Thread.detachNewThread { [fold, order] in withExtendedLifetime((fold, order)) {} }
        return count
    }

    /// The same, one event at a time through the projectors (the append path's code): what the fold
    /// must equal, for the tests that compare them.
    static func replayEventByEvent(
        into target: Database,
        from source: Database,
        through position: Int64 = Int64.max
    ) throws -> Int64 {
        let projector = CallProjector()
        for projection in CallProjector.projections { try projection.reset(in: target) }
        let head = min(try EventReader.headPosition(in: source), position)
        var count: Int64 = 0
        if head > 0 {
            try EventReader.forEach(in: source, positions: 1...head) { event in
                try projector.apply(event, in: target)
                count += 1
            }
        }
        try CallProjector.setCheckpoints(head, in: target)
        return count
    }

    /// Rows that differ between a rebuilt snapshot and the live file: for each table, rows present on
    /// one side only (a changed row shows on both sides). Opens its own read of the live file.
    public static func compare(snapshot: DatabaseQueue, livePath: String) throws -> [LedgerIssue] {
        var configuration = Configuration()
        configuration.readonly = true
        // A running gateway may hold the file's locks for a moment (a commit or a checkpoint): wait.
        configuration.busyMode = .timeout(10)
        let live = try DatabaseQueue(path: livePath, configuration: configuration)
        defer { try? live.close() }
        return try live.read { db in try compare(snapshot: snapshot, live: db) }
    }

    /// The same, reading the live tables through `live`: an audit passes the read transaction it took
    /// its chain and its rebuild from, so everything it compares belongs to one moment of the file even
    /// while the gateway keeps appending.
    public static func compare(snapshot: DatabaseQueue, live: Database) throws -> [LedgerIssue] {
        try snapshot.read { rebuilt in
            var issues: [LedgerIssue] = []
            for table in CallProjector.tables + ["projection_checkpoints"] {
                let liveRows = try Row.fetchAll(live, sql: "SELECT * FROM \(table)")
                let rebuiltRows = try Row.fetchAll(rebuilt, sql: "SELECT * FROM \(table)")
                let liveSet = Set(liveRows)
                let rebuiltSet = Set(rebuiltRows)
                for (side, rows, other) in [("live only", liveRows, rebuiltSet), ("rebuild only", rebuiltRows, liveSet)] {
                    for row in rows.lazy.filter({ !other.contains($0) }).prefix(20) {
                        let position: Int64? = row.hasColumn("position") ? row["position"] : nil
                        issues.append(
                            LedgerIssue(
                                kind: .projectionMismatch,
                                position: table == "projection_checkpoints" || table == "bell" ? nil : position,
                                detail: "\(table) row differs from a rebuild (\(side)): \(row.description)"
                            )
                        )
                    }
                }
            }
            return issues
        }
    }
}
