import HarnessKit
import Ledger
import Projections

/// `writers` child tasks in a task group, each appending single events to its own streams as fast as it
/// can: the store's group commit folds concurrent appends into shared transactions (synchronous FULL unless
/// `synchronous` says otherwise).
struct GroupCommitAppends: Sendable {
    /// NORMAL is a diagnostic: the same writers with no fsync, which shows what the fsyncs cost.
    var synchronous: SynchronousMode = .full
    let writers: Int
    let appends: Int
    let directory: TemporaryDirectory

    func run(round: Int) async throws -> Sample {
        let path = directory.freshDatabase("ledger-group-\(synchronous.rawValue.lowercased())-\(round).sqlite")
        defer { directory.removeDatabase(at: path) }
        let store = try EventStore(
            configuration: LedgerConfiguration(path: path, synchronous: synchronous),
            projector: CallProjector()
        )
        defer { try? store.close() }
        let key = UInt64.random(in: 0...UInt64.max)
        var warmup = CallWorkload(lane: writers, key: key)
        for _ in 0..<50 {
            try await store.append([warmup.nextSingleAppend(now: Stopwatch.unixMilliseconds())])
        }

        let before = store.statistics
        let written = ProcessIO.bytesWritten()
        let watch = Stopwatch()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                let share = appends / writers + (writer < appends % writers ? 1 : 0)
                group.addTask {
                    var workload = CallWorkload(lane: writer, key: key)
                    for _ in 0..<share {
                        try await store.append([workload.nextSingleAppend(now: Stopwatch.unixMilliseconds())])
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = watch.elapsedSeconds
        let after = store.statistics
        let transactions = after.transactions - before.transactions
        let events = after.events - before.events
        return Sample(
            value: Double(events) / seconds,
            details: [
                "transactions": Double(transactions),
                "events": Double(events),
                "events_per_transaction": Double(events) / Double(max(transactions, 1)),
                "transactions_per_second": Double(transactions) / seconds,
            ].merging(ProcessIO.kibPerEvent(from: written, events: events)) { $1 }
        )
    }
}
