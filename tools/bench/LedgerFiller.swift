import Foundation
import HarnessKit
import Ledger
import Projections

/// Builds a large ledger for the rebuild and query figures: `events` events of the call workload
/// (hosted calls plus incoming calls), spread evenly over `days` days ending now, written through the
/// real append path with `CallProjector` in batches of about 1,000 events, synchronous NORMAL.
struct LedgerFiller: Sendable {
    struct Filled: Sendable {
        let path: String
        let events: Int64
        let incomingCalls: Int
        /// The virtual "now" at the end of the ledger (unix ms), for the last-hour query.
        let end: Int64
        let seconds: Double
    }

    let events: Int
    let days: Int
    let directory: TemporaryDirectory
    var batchSize = 1000

    func fill(progress: (String) -> Void) async throws -> Filled {
        let path = directory.freshDatabase("ledger-\(events).sqlite")
        let end = Stopwatch.unixMilliseconds()
        let span = Int64(days) * 86_400_000
        let start = end - span
        let clock = VirtualClock(start)
        let store = try EventStore(
            configuration: LedgerConfiguration(path: path, synchronous: .normal, clock: { clock.now }),
            projector: CallProjector()
        )
        defer { try? store.close() }
        var workload = CallWorkload(lane: 0, key: UInt64.random(in: 0...UInt64.max))
        var written = 0
        var nextReport = 100_000
        let watch = Stopwatch()
        let step = Double(span) / Double(events)
        while written < events {
            let time = start + Int64(Double(written) * step)
            let batch = workload.nextBatch(events: min(batchSize, events - written), now: time, millisecondsPerEvent: step)
            // recorded_at is one value per transaction: the time of the batch's last event.
            clock.set(start + Int64(Double(written + batch.events) * step))
            try await store.append(batch.appends)
            written += batch.events
            if written >= nextReport {
                progress("filled \(written) events (\(Int(Double(written) / watch.elapsedSeconds)) events/s)")
                nextReport += 100_000
            }
        }
        let seconds = watch.elapsedSeconds
        let counts = try store.readSync { db in
            (
                try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM events") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM incoming_calls") ?? 0
            )
        }
        return Filled(path: path, events: counts.0, incomingCalls: counts.1, end: end, seconds: seconds)
    }
}
