import HarnessKit
import Ledger
import Projections

/// One caller appending whole episodes, about `batchSize` events per `append` call (one transaction,
/// one fsync under `.full`), each stream once per append with `.noStream`.
struct LedgerBatchAppends: Sendable {
    let batchSize: Int
    let batches: Int
    let directory: TemporaryDirectory

    func run(round: Int) async throws -> Sample {
        let path = directory.freshDatabase("ledger-batch-\(round).sqlite")
        defer { directory.removeDatabase(at: path) }
        let store = try EventStore(configuration: LedgerConfiguration(path: path), projector: CallProjector())
        defer { try? store.close() }
        var workload = CallWorkload(lane: 0, key: UInt64.random(in: 0...UInt64.max))
        try await store.append(workload.nextBatch(events: batchSize, now: Stopwatch.unixMilliseconds()).appends)
        var events = 0
        let written = ProcessIO.bytesWritten()
        let watch = Stopwatch()
        for _ in 0..<batches {
            let batch = workload.nextBatch(events: batchSize, now: Stopwatch.unixMilliseconds())
            try await store.append(batch.appends)
            events += batch.events
        }
        let seconds = watch.elapsedSeconds
        return Sample(
            value: Double(events) / seconds,
            details: [
                "events_per_append": Double(events) / Double(batches),
                "appends_per_second": Double(batches) / seconds,
            ].merging(ProcessIO.kibPerEvent(from: written, events: events)) { $1 }
        )
    }
}
