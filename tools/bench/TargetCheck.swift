import Foundation

/// One performance target, checked against the medians of a run.
///
/// `low` and `high` are the smallest and largest value the checked figure took in a single round (for a
/// ratio, the ratio of the two contenders measured in that round). `reason` says, for a target that is
/// missed, what the same run measured about why; it is written from the run's own diagnostics.
struct TargetCheck: Sendable, Codable {
    enum Comparison: String, Sendable, Codable {
        case atLeast = ">="
        case atMost = "<="
        case below = "<"
    }

    let name: String
    /// nil when a figure it needs was skipped.
    let measured: Double?
    let threshold: Double
    let unit: String
    let comparison: Comparison
    let note: String?
    var low: Double? = nil
    var high: Double? = nil
    var reason: String? = nil

    var passed: Bool {
        guard let measured else { return false }
        switch comparison {
        case .atLeast: return measured >= threshold
        case .atMost: return measured <= threshold
        case .below: return measured < threshold
        }
    }

    var status: String {
        measured == nil ? "SKIP" : (passed ? "PASS" : "MISS")
    }

    /// The ledger's targets, from the figure book of one `crow-bench ledger` run.
    static func evaluate(_ book: FigureBook, events: Int64?) -> [TargetCheck] {
        let scale = events.map { $0 >= 1_000_000 ? nil : "ledger holds \($0) events, not 1M" } ?? "no ledger was filled"
        let why = LedgerMissReasons(book: book)
        func ratio(_ name: String, _ top: String, _ bottom: String, _ threshold: Double, note: String? = nil, reason: String?)
            -> TargetCheck
        {
            let rounds = book.roundRatios(top, bottom)
            return TargetCheck(
                name: name, measured: book.ratio(top, bottom), threshold: threshold, unit: "x", comparison: .atLeast,
                note: note, low: rounds.min(), high: rounds.max(), reason: reason)
        }
        func figure(_ name: String, _ key: String, _ threshold: Double, _ unit: String, _ comparison: Comparison, reason: String?)
            -> TargetCheck
        {
            let samples = book.samples(key)
            return TargetCheck(
                name: name, measured: book.median(key), threshold: threshold, unit: unit, comparison: comparison, note: scale,
                low: samples.min(), high: samples.max(), reason: reason)
        }
        return [
            ratio("durable single appends vs raw SQLite FULL", "ledger_single_full", "raw_sqlite_full", 0.75, reason: why.singleAppends),
            ratio("durable single appends vs Python eventsourcing", "ledger_single_full", "python_eventsourcing", 1.0, reason: why.versusPython),
            ratio("64-writer group commit vs single appends", "ledger_group_commit", "ledger_single_full", 8.0, reason: why.groupCommit),
            ratio("64-writer group commit vs one-caller batches", "ledger_group_commit", "ledger_batch", 0.8, reason: why.groupCommit),
            figure("rebuild in place", "rebuild_in_place", 300_000, "events/s", .atLeast, reason: why.rebuild),
            figure("rebuild snapshot", "rebuild_snapshot", 300_000, "events/s", .atLeast, reason: why.rebuild),
            ratio("rebuild snapshot vs the bare SQLite scan", "rebuild_snapshot", "replay_scan", 0.125, note: scale, reason: why.rebuild),
            figure("incoming last hour, p99 via EventStore.read", "incoming_read_p99", 1000, "us", .below, reason: nil),
            figure("incoming last hour, p99 bare query", "incoming_query_p99", 1000, "us", .below, reason: nil),
        ]
    }
}

/// Why a ledger target is missed, in the figures of the same run (medians): the single append split into
/// its parts by the diagnostic contenders, group commit against the batch cost per event, and rebuild
/// against reading and decoding alone.
struct LedgerMissReasons {
    let book: FigureBook

    /// Microseconds per event of a throughput figure.
    private func micros(_ key: String) -> Double? {
        book.median(key).flatMap { $0 > 0 ? 1_000_000 / $0 : nil }
    }

    private func us(_ value: Double) -> String { ReportPrinter.number(value) + " µs" }

    private func kib(_ value: Double) -> String { ReportPrinter.number(value) + " KiB" }

    /// KiB handed to `write` per event by a contender (median over rounds).
    private func written(_ key: String) -> Double? { book.details(key)["kib_written_per_event"] }

    var singleAppends: String? {
        guard let ledgerFull = micros("ledger_single_full"), let rawFull = micros("raw_sqlite_full"),
            let ledgerNormal = micros("ledger_single_normal"), let rawNormal = micros("raw_sqlite_normal")
        else { return nil }
        var parts = ["per append: ledger \(us(ledgerFull)) vs raw \(us(rawFull)) with FULL; \(us(ledgerNormal)) vs \(us(rawNormal)) with NORMAL"]
        if let rawAsync = micros("raw_sqlite_normal_async"), let unprojected = micros("ledger_single_normal_unprojected") {
            parts.append(
                "of the NORMAL difference: the ledger without projections \(us(unprojected - rawNormal)) (the hand-off to its "
                    + "writer thread and back, JSON, hash chain, version check), projections \(us(ledgerNormal - unprojected)); "
                    + "for scale, a hop through GRDB's async write and back alone costs \(us(rawAsync - rawNormal)) (raw async − raw)")
        }
        if let unprojectedFull = micros("ledger_single_full_unprojected") {
            // What is left when the projections cost nothing: the hand-off, the hash chain, the version check.
            parts.append(
                "the ledger with no projections at all takes \(us(unprojectedFull)) with FULL, "
                    + "\(String(format: "%.2f", rawFull / unprojectedFull))× raw SQLite")
        }
        if let rawFullAsync = micros("raw_sqlite_full_async") {
            // Raw SQLite's own row, committed from a Swift task the way any caller on Swift's executor must: the
            // thread that waits out the fsync is not the caller's, so the caller is woken after every commit.
            parts.append(
                "raw SQLite's row written from a Swift task through GRDB's async write, FULL, takes \(us(rawFullAsync)) "
                    + "(\(String(format: "%.2f", rawFull / rawFullAsync))× raw SQLite): the wake-up after the fsync that "
                    + "any caller on Swift's executor pays")
        }
        parts.append("fsync adds \(us(ledgerFull - ledgerNormal)) to the ledger and \(us(rawFull - rawNormal)) to raw")
        if let ledgerBytes = written("ledger_single_full"), let rawBytes = written("raw_sqlite_full") {
            parts.append("each commit writes \(kib(ledgerBytes)) to the file system, raw SQLite's \(kib(rawBytes))")
        }
        return parts.joined(separator: "; ")
    }

    var versusPython: String? {
        guard let ledgerFull = micros("ledger_single_full"), let python = micros("python_eventsourcing"),
            let rawFull = micros("raw_sqlite_full")
        else { return nil }
        return "per append: ledger \(us(ledgerFull)), eventsourcing \(us(python)), raw SQLite FULL \(us(rawFull)); "
            + "1.0× eventsourcing means \(us(python)) per append, "
            + (python < rawFull ? "less than raw SQLite's one-row commit on this disk" : "\(us(python - rawFull)) above raw SQLite's one-row commit")
    }

    var groupCommit: String? {
        guard let group = micros("ledger_group_commit"), let batch = micros("ledger_batch"),
            let single = micros("ledger_single_full")
        else { return nil }
        let perTransaction = book.details("ledger_group_commit")["events_per_transaction"]
        var text = "per event: group commit \(us(group)), batches \(us(batch)), singles \(us(single))"
            + (perTransaction.map { "; \(ReportPrinter.number($0)) events per group transaction, against about 1,000 per batch" } ?? "")
        if let groupBytes = written("ledger_group_commit"), let batchBytes = written("ledger_batch") {
            text += "; written to the file system per event: \(kib(groupBytes)) by group commit, \(kib(batchBytes)) by batches "
                + "(a transaction writes every page it dirtied once, and the random keys of the indexes spread a small "
                + "transaction's rows over more pages per event)"
        }
        if let normal = micros("ledger_group_commit_normal") {
            text += "; the same 64 writers without fsync (NORMAL) take \(us(normal)) per event, so the commits' fsyncs "
                + "cost \(us(max(0, group - normal))) of it and the writer thread's own work the rest"
        }
        if let rawCommit = micros("raw_sqlite_full") {
            // Each writer has one append in flight, so a transaction holds at most one event per writer.
            let ceiling = 64 / rawCommit * 1_000_000
            text += "; a raw one-row durable commit took \(us(rawCommit)) in this run, so 64 writers with one append in "
                + "flight each, at most 64 events per commit, top out near \(ReportPrinter.number(ceiling)) events/s"
        }
        return text + "; and the 64 writers' own work (building, encoding, waking) shares the two cores with the writer"
    }

    var rebuild: String? {
        guard let read = book.median("replay_read_fast"), let scan = book.median("replay_scan"),
            let snapshot = micros("rebuild_snapshot"), let readMicros = micros("replay_read_fast")
        else { return nil }
        return "reading and decoding the events as the rebuild does runs at \(ReportPrinter.number(read)) events/s alone "
            + "(\(us(readMicros)) per event; 300k events/s allows 3.33 µs for everything), the bare SQLite scan at "
            + "\(ReportPrinter.number(scan)) events/s; the rebuild folds on a second thread beside the reading and the two "
            + "threads share the decoding, so most of the other \(us(snapshot - readMicros)) of the snapshot's \(us(snapshot)) "
            + "come after the reading, on one thread: the rows written into SQLite and the indexes built over them"
            + loadNote
    }

    /// Said only when it applies: a load above the machine's cores takes the fold thread's core.
    private var loadNote: String {
        let load = BenchReport.loadAverage()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard let minute = load.split(separator: " ").first.flatMap({ Double($0) }), minute > Double(cores) else { return "" }
        return "; the load average (\(load)) was above the \(cores) cores, which takes the fold thread's core"
    }
}
