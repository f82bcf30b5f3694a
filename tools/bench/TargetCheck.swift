/// One performance target from the issue, checked against the medians of a run.
struct TargetCheck: Sendable, Codable {
    enum Comparison: String, Sendable, Codable {
        case atLeast = ">="
        case below = "<"
    }

    let name: String
    /// nil when a figure it needs was skipped.
    let measured: Double?
    let threshold: Double
    let unit: String
    let comparison: Comparison
    let note: String?

    var status: String {
        guard let measured else { return "SKIP" }
        switch comparison {
        case .atLeast: return measured >= threshold ? "PASS" : "MISS"
        case .below: return measured < threshold ? "PASS" : "MISS"
        }
    }

    /// The performance targets (docs/BENCHMARKS.md, "The performance targets now"), from the figure book
    /// of one run.
    static func evaluate(_ book: FigureBook, events: Int64?) -> [TargetCheck] {
        func ratio(_ numerator: String, _ denominator: String) -> Double? {
            guard let top = book.median(numerator), let bottom = book.median(denominator), bottom > 0 else { return nil }
            return top / bottom
        }
        let scale = events.map { $0 >= 1_000_000 ? nil : "ledger holds \($0) events, not 1M" } ?? "no ledger was filled"
        return [
            TargetCheck(
                name: "durable single appends vs raw SQLite FULL", measured: ratio("ledger_single_full", "raw_sqlite_full"),
                threshold: 0.9, unit: "x", comparison: .atLeast, note: nil),
            TargetCheck(
                name: "durable single appends vs Python eventsourcing", measured: ratio("ledger_single_full", "python_eventsourcing"),
                threshold: 1.25, unit: "x", comparison: .atLeast, note: nil),
            TargetCheck(
                name: "64-writer group commit vs single appends", measured: ratio("ledger_group_commit", "ledger_single_full"),
                threshold: 8.0, unit: "x", comparison: .atLeast, note: nil),
            TargetCheck(
                name: "64-writer group commit vs one-caller batches", measured: ratio("ledger_group_commit", "ledger_batch"),
                threshold: 0.8, unit: "x", comparison: .atLeast, note: nil),
            TargetCheck(
                name: "rebuild in place (ProjectionRebuilder.rebuildInPlace)", measured: book.median("rebuild_in_place"),
                threshold: 300_000, unit: "events/s", comparison: .atLeast, note: scale),
            TargetCheck(
                name: "rebuild snapshot (ProjectionRebuilder.rebuildSnapshot)", measured: book.median("rebuild_snapshot"),
                threshold: 300_000, unit: "events/s", comparison: .atLeast, note: scale),
            TargetCheck(
                name: "rebuild snapshot vs the bare SQLite scan", measured: ratio("rebuild_snapshot", "replay_scan"),
                threshold: 0.125, unit: "x", comparison: .atLeast, note: scale),
            TargetCheck(
                name: "incoming last hour, p99 via EventStore.read", measured: book.median("incoming_read_p99"),
                threshold: 1000, unit: "us", comparison: .below, note: scale),
            TargetCheck(
                name: "incoming last hour, p99 bare query", measured: book.median("incoming_query_p99"),
                threshold: 1000, unit: "us", comparison: .below, note: scale),
        ]
    }
}
