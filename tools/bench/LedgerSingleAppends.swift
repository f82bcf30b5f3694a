import HarnessKit
import Ledger
import Projections

/// One caller appending one event per `append`, sequentially, through the real store and `CallProjector`:
/// every append is its own transaction and, with `.full`, its own fsync.
struct LedgerSingleAppends: Sendable {
    let synchronous: SynchronousMode
    /// Without the projector (a diagnostic): the ledger's own cost, no read models.
    var projected = true
    let appends: Int
    let warmup: Int
    let directory: TemporaryDirectory

    func run(round: Int) async throws -> Sample {
        let path = directory.freshDatabase("ledger-single-\(synchronous.rawValue.lowercased())-\(projected)-\(round).sqlite")
        defer { directory.removeDatabase(at: path) }
        let store = try EventStore(
            configuration: LedgerConfiguration(path: path, synchronous: synchronous),
            projector: projected ? CallProjector() : nil
        )
        defer { try? store.close() }
        var workload = CallWorkload(lane: 0, key: UInt64.random(in: 0...UInt64.max))
        for _ in 0..<warmup {
            try await store.append([workload.nextSingleAppend(now: Stopwatch.unixMilliseconds())])
        }
        let before = store.statistics
        let written = ProcessIO.bytesWritten()
        let watch = Stopwatch()
        for _ in 0..<appends {
            try await store.append([workload.nextSingleAppend(now: Stopwatch.unixMilliseconds())])
        }
        let seconds = watch.elapsedSeconds
        let after = store.statistics
        return Sample(
            value: Double(appends) / seconds,
            details: [
                "transactions": Double(after.transactions - before.transactions),
                "events": Double(after.events - before.events),
                "mean_latency_us": seconds / Double(appends) * 1e6,
            ].merging(ProcessIO.kibPerEvent(from: written, events: appends)) { $1 }
        )
    }
}
