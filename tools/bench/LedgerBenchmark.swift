import ArgumentParser
import Foundation
import HarnessKit
import Ledger
import Projections

/// `crow-bench ledger`: the ledger's figures side by side with raw SQLite and Python eventsourcing, in
/// alternating rounds on one machine, with the targets marked PASS or MISS.
struct LedgerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Append, rebuild and query figures of the ledger against raw SQLite and Python eventsourcing."
    )

    @Option(help: "Rounds; each runs every contender once, in turn. Medians are reported.")
    var rounds: Int = 3

    @Option(help: "Timed single-event appends per round for the one-caller contenders (ledger, raw SQLite, Python).")
    var appends: Int = 2000

    @Option(help: "Untimed appends before each one-caller contender.")
    var warmup: Int = 200

    @Option(name: .customLong("batch-size"), help: "Events per append call in the batch contender.")
    var batchSize: Int = 1000

    @Option(help: "Append calls per round in the batch contender.")
    var batches: Int = 20

    @Option(help: "Concurrent writers in the group-commit contender.")
    var writers: Int = 64

    @Option(name: .customLong("group-appends"), help: "Single-event appends per round, over all writers, in the group-commit contender.")
    var groupAppends: Int = 20_000

    @Option(help: "Events in the ledger built for the rebuild and query figures (0 skips them).")
    var events: Int = 1_000_000

    @Option(help: "Days the filled ledger's events are spread over.")
    var days: Int = 30

    @Option(help: "Timed incoming-call queries per round, for each of the two ways.")
    var queries: Int = 5000

    @Option(help: "Python interpreter for the eventsourcing baseline (default: <repo>/.venv/bin/python).")
    var python: String?

    @Flag(name: .customLong("no-python"), help: "Skip the Python eventsourcing baseline.")
    var noPython = false

    @Option(help: "Directory under which the temporary benchmark directory is made (default: the system temp dir).")
    var dir: String?

    @Option(
        parsing: .upToNextOption,
        help: "Run only these figures: a full key runs that figure alone, anything else is a key prefix (e.g. ledger_single_full raw_sqlite rebuild incoming)."
    )
    var only: [String] = []

    @Flag(help: "Print the results as JSON on stdout (progress still goes to stderr).")
    var json = false

    @Option(name: .customLong("json-file"), help: "Also write the JSON results to this file.")
    var jsonFile: String?

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be >= 1") }
        guard appends >= 1, warmup >= 0 else { throw ValidationError("--appends must be >= 1 and --warmup >= 0") }
        guard batchSize >= 1, batches >= 1 else { throw ValidationError("--batch-size and --batches must be >= 1") }
        guard (1...4000).contains(writers), groupAppends >= writers else {
            throw ValidationError("--writers must be 1...4000 and --group-appends >= --writers")
        }
        guard events >= 0, days >= 1, queries >= 1 else { throw ValidationError("--events >= 0, --days >= 1, --queries >= 1") }
    }

    func run() async throws {
        let loadStart = BenchReport.loadAverage()
        let directory = try TemporaryDirectory(prefix: "crow-bench", under: dir)
        defer { directory.remove() }
        let interrupt = InterruptCleanup(directory: directory)
        defer { interrupt.cancel() }

        var skipped: [String] = []
        var pythonBaseline: PythonBaseline?
        if noPython {
            skipped.append("python eventsourcing baseline (--no-python)")
        } else {
            switch PythonBaseline.locate(python: python) {
            case .success(let found):
                pythonBaseline = PythonBaseline(
                    python: found.python, script: found.script, appends: appends, warmup: warmup, directory: directory)
            case .failure(let error):
                skipped.append("python eventsourcing baseline: \(error)")
                log("python eventsourcing baseline skipped: \(error)")
            }
        }

        var fill: LedgerFiller.Filled?
        let needsLedger = Self.fullKeys.contains {
            ($0.hasPrefix("rebuild") || $0.hasPrefix("replay") || $0.hasPrefix("incoming")) && selected($0)
        }
        if events > 0, needsLedger {
            log("building a ledger of \(events) events over \(days) days (setup, untimed for the targets)...")
            fill = try await LedgerFiller(events: events, days: days, directory: directory).fill(progress: log)
        }
        let filledStore = try fill.map {
            try EventStore(configuration: LedgerConfiguration(path: $0.path), projector: CallProjector())
        }
        defer { try? filledStore?.close() }

        var book = FigureBook()
        for round in 1...rounds {
            log("round \(round)/\(rounds)")
            for contender in contenders(round: round, directory: directory, python: pythonBaseline, fill: fill, store: filledStore)
            where selected(contender.key) {
                let sample = try await contender.run()
                book.record(contender.key, contender.label, unit: contender.unit, sample)
                log("  \(contender.label): \(fmt(sample.value)) \(contender.unit)")
            }
            if let filledStore, let fill, Self.fullKeys.contains(where: { $0.hasPrefix("incoming") && selected($0) }) {
                let latencies = try await IncomingQueryLatency(store: filledStore, now: fill.end, queries: queries).run()
                let rows = ["rows": Double(latencies.rows)]
                for (key, label, samples) in [
                    ("incoming_query", "incoming last hour, bare query", latencies.query),
                    ("incoming_read", "incoming last hour, via EventStore.read", latencies.read),
                    ("incoming_by_index", "  diagnostic: bare, records by column index", latencies.byIndex),
                    ("incoming_read_by_index", "  diagnostic: EventStore.read, records by column index", latencies.readByIndex),
                ] where selected("\(key)_p50") || selected("\(key)_p99") {
                    let p50 = Statistics.percentile(samples, 0.5)
                    let p99 = Statistics.percentile(samples, 0.99)
                    book.record("\(key)_p50", "\(label) p50", unit: "us", Sample(value: p50, details: rows))
                    book.record("\(key)_p99", "\(label) p99", unit: "us", Sample(value: p99))
                    log("  \(label): p50 \(fmt(p50)) us, p99 \(fmt(p99)) us, \(latencies.rows) rows")
                }
            }
        }

        let report = BenchReport(
            name: "ledger",
            loadAverageStart: loadStart,
            parameters: [
                "rounds": rounds, "appends": appends, "warmup": warmup, "batch_size": batchSize, "batches": batches,
                "writers": writers, "group_appends": groupAppends, "events": events, "days": days, "queries": queries,
            ],
            workload: BenchReport.workloadDescription,
            fill: fill.map { BenchReport.Fill($0, days: days) },
            figures: book,
            targets: TargetCheck.evaluate(book, events: fill?.events),
            skipped: skipped
        )
        if let jsonFile { try report.write(to: jsonFile) }
        print(json ? try report.json() : ReportPrinter.text(report))
    }

    private struct Contender {
        let key: String
        let label: String
        let unit: String
        let run: () async throws -> Sample
    }

    /// Every throughput contender of one round, in the order they run.
    private func contenders(
        round: Int,
        directory: TemporaryDirectory,
        python: PythonBaseline?,
        fill: LedgerFiller.Filled?,
        store: EventStore?
    ) -> [Contender] {
        var list = [
            Contender(key: "ledger_single_full", label: "ledger single-event appends, FULL", unit: "events/s") {
                try await LedgerSingleAppends(synchronous: .full, appends: appends, warmup: warmup, directory: directory).run(round: round)
            },
            Contender(key: "raw_sqlite_full", label: "raw SQLite (GRDB) 1 row/txn, FULL", unit: "events/s") {
                try RawSQLiteAppends(synchronous: .full, appends: appends, warmup: warmup, directory: directory).run(round: round)
            },
        ]
        if let python {
            list.append(Contender(key: "python_eventsourcing", label: "Python eventsourcing 9.5.6 save, FULL", unit: "events/s") {
                try await python.run(round: round)
            })
        }
        list += [
            Contender(key: "ledger_single_normal", label: "ledger single-event appends, NORMAL", unit: "events/s") {
                try await LedgerSingleAppends(synchronous: .normal, appends: appends, warmup: warmup, directory: directory).run(round: round)
            },
            Contender(key: "raw_sqlite_normal", label: "raw SQLite (GRDB) 1 row/txn, NORMAL", unit: "events/s") {
                try RawSQLiteAppends(synchronous: .normal, appends: appends, warmup: warmup, directory: directory).run(round: round)
            },
            Contender(key: "ledger_single_full_unprojected", label: "  diagnostic: ledger single, FULL, no projector", unit: "events/s") {
                try await LedgerSingleAppends(
                    synchronous: .full, projected: false, appends: appends, warmup: warmup, directory: directory
                ).run(round: round)
            },
            Contender(key: "ledger_single_normal_unprojected", label: "  diagnostic: ledger single, NORMAL, no projector", unit: "events/s") {
                try await LedgerSingleAppends(
                    synchronous: .normal, projected: false, appends: appends, warmup: warmup, directory: directory
                ).run(round: round)
            },
            Contender(key: "raw_sqlite_normal_async", label: "  diagnostic: raw SQLite NORMAL, async GRDB write", unit: "events/s") {
                try await RawSQLiteAppends(synchronous: .normal, appends: appends, warmup: warmup, directory: directory).runAsync(round: round)
            },
            Contender(key: "raw_sqlite_full_async", label: "  diagnostic: raw SQLite FULL, async GRDB write", unit: "events/s") {
                try await RawSQLiteAppends(synchronous: .full, appends: appends, warmup: warmup, directory: directory).runAsync(round: round)
            },
            Contender(key: "ledger_batch", label: "ledger batch appends (~\(batchSize) events/append), FULL", unit: "events/s") {
                try await LedgerBatchAppends(batchSize: batchSize, batches: batches, directory: directory).run(round: round)
            },
            Contender(key: "ledger_group_commit", label: "ledger \(writers) concurrent writers (group commit), FULL", unit: "events/s") {
                try await GroupCommitAppends(writers: writers, appends: groupAppends, directory: directory).run(round: round)
            },
            Contender(key: "ledger_group_commit_normal", label: "  diagnostic: \(writers) writers, NORMAL (no fsync)", unit: "events/s") {
                try await GroupCommitAppends(
                    synchronous: .normal, writers: writers, appends: groupAppends, directory: directory
                ).run(round: round)
            },
        ]
        if let store, let fill {
            let rebuild = RebuildBenchmarks(store: store)
            list += [
                Contender(key: "rebuild_in_place", label: "rebuild in place (\(fill.events) events)", unit: "events/s") {
                    try rebuild.inPlace()
                },
                Contender(key: "rebuild_snapshot", label: "rebuild into in-memory snapshot", unit: "events/s") {
                    try rebuild.snapshot()
                },
                Contender(key: "replay_read_decode", label: "  diagnostic: read + full decode by JSONDecoder (no projection)", unit: "events/s") {
                    try rebuild.readAndDecode()
                },
                Contender(key: "replay_read_fast", label: "  diagnostic: read + decode as the rebuild reads (no fold, no writes)", unit: "events/s") {
                    try rebuild.replayRead()
                },
                Contender(key: "replay_scan", label: "  diagnostic: SQLite scan only (no decode)", unit: "events/s") {
                    try rebuild.scanOnly()
                },
            ]
        }
        return list
    }

    /// Whether `--only` lets figure `key` run.
    private func selected(_ key: String) -> Bool {
        only.isEmpty || only.contains { $0 == key || (!Self.fullKeys.contains($0) && key.hasPrefix($0)) }
    }

    private static let fullKeys: Set<String> = [
        "ledger_single_full", "raw_sqlite_full", "python_eventsourcing", "ledger_single_normal", "raw_sqlite_normal",
        "ledger_single_full_unprojected", "ledger_single_normal_unprojected", "raw_sqlite_normal_async", "raw_sqlite_full_async",
        "ledger_batch", "ledger_group_commit", "ledger_group_commit_normal", "rebuild_in_place", "rebuild_snapshot",
        "replay_read_decode", "replay_read_fast", "replay_scan", "incoming_query_p50", "incoming_query_p99",
        "incoming_read_p50", "incoming_read_p99", "incoming_by_index_p50", "incoming_by_index_p99",
        "incoming_read_by_index_p50", "incoming_read_by_index_p99",
    ]

    private func fmt(_ value: Double) -> String { ReportPrinter.number(value) }
}

/// Progress goes to stderr, so `--json` output stays clean.
func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
