import ArgumentParser
import Foundation
import HarnessKit

/// `crow-bench all`: every benchmark that has a target, one after another, and one table of every target
/// and figure at the end (the table docs/BENCHMARKS.md opens with).
///
/// Each part runs as a child process of this same binary (`ledger`, `startup`, `signaling run` with 1,000
/// and with 10,000 sockets, `invites`, and `web --bell-only`) and hands its figures back as JSON, so every part starts on a fresh heap and
/// the parts measure exactly what their own commands measure. A part that fails is reported as failed;
/// the others still run.
struct SuiteBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Every benchmark with a target, and one table of all targets (about 10 minutes; --quick: about 30 seconds)."
    )

    @Flag(help: "Smoke run with tiny sizes, to check that every part works (its figures are not meaningful).")
    var quick = false

    @Option(help: "Rounds of each part (medians are reported, with min and max).")
    var rounds = 3

    @Option(help: "Events in the ledgers of the rebuild, query and startup figures.")
    var events = 1_000_000

    @Option(name: .customLong("large-rooms"), help: "Rooms of 4 sockets in the large signaling run (2,500: 10,000 sockets).")
    var largeRooms = 2500

    @Option(help: "Python interpreter of the baselines (default: <repo>/.venv/bin/python).")
    var python: String?

    @Option(help: "Directory under which the temporary benchmark directories are made.")
    var dir: String?

    @Option(name: .customLong("markdown-file"), help: "Also write the report as Markdown to this file.")
    var markdownFile: String?

    @Option(name: .customLong("keep-json"), help: "Keep each part's JSON results in this directory.")
    var keepJSON: String?

    func validate() throws {
        guard rounds >= 1, events >= 1000, (1...10_000).contains(largeRooms) else {
            throw ValidationError("--rounds >= 1, --events >= 1000, --large-rooms 1...10000")
        }
    }

    func run() async throws {
        let started = ContinuousClock.now
        let loadStart = BenchReport.loadAverage()
        let directory = try TemporaryDirectory(prefix: "crow-bench", under: dir)
        defer { directory.remove() }
        // Ctrl-C reaches the parts too (one process group); each removes its own files.
        let interrupt = InterruptCleanup(directory: directory)
        defer { interrupt.cancel() }
        let output = keepJSON ?? directory.path
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)

        var parts: [SuiteReport.Part] = []
        for part in plan() {
            let file = (output as NSString).appendingPathComponent("\(part.key).json")
            log("== \(part.title): crow-bench \(part.arguments.joined(separator: " "))")
            let watch = Stopwatch()
            do {
                try runChild(part.arguments + ["--json-file", file])
                let report = try JSONDecoder().decode(BenchReport.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
                parts.append(SuiteReport.Part(key: part.key, title: part.title, report: report, keep: part.keep, failure: nil))
            } catch {
                log("== \(part.title) failed: \(error)")
                parts.append(SuiteReport.Part(key: part.key, title: part.title, report: nil, keep: part.keep, failure: "\(error)"))
            }
            log("== \(part.title): \(Int(watch.elapsedSeconds)) s")
        }
        let elapsed = ContinuousClock.now - started
        let suite = SuiteReport(
            date: BenchReport.now(),
            command: CommandLine.arguments.joined(separator: " "),
            machine: MachineFacts.current(),
            loadAverageStart: loadStart,
            loadAverageEnd: BenchReport.loadAverage(),
            minutes: Double(elapsed.components.seconds) / 60,
            quick: quick,
            parts: parts
        )
        let markdown = suite.markdown
        if let markdownFile { try Data(markdown.utf8).write(to: URL(fileURLWithPath: markdownFile)) }
        print(markdown, terminator: "")
        if parts.contains(where: { $0.failure != nil }) { throw ExitCode(1) }
    }

    private struct PlannedPart {
        let key: String
        let title: String
        let arguments: [String]
        /// Which of the part's targets belong in the table (all when nil).
        let keep: (@Sendable (TargetCheck) -> Bool)?
    }

    private func plan() -> [PlannedPart] {
        var shared: [String] = []
        if let python { shared += ["--python", python] }
        if let dir { shared += ["--dir", dir] }
        let ledger: [String]
        let startup: [String]
        let small: [String]
        let large: [String]
        let invites: [String]
        let bell: [String]
        if quick {
            ledger = ["ledger", "--rounds", "1", "--appends", "200", "--warmup", "20", "--batches", "3", "--group-appends", "640",
                      "--events", "20000", "--queries", "300"]
            startup = ["startup", "--events", "20000", "--rounds", "2"]
            small = ["signaling", "run", "--quick"]
            large = ["signaling", "run", "--quick", "--rooms", "10", "--only", "gateway", "echo", "echo-queued"]
            invites = ["invites", "--invites", "3", "--rtt-ms", "0"]
            bell = ["web", "--bell-only", "--rounds", "1", "--duration", "1"]
        } else {
            ledger = ["ledger", "--rounds", "\(rounds)", "--events", "\(events)"]
            startup = ["startup", "--events", "\(events)", "--rounds", "\(max(rounds, 5))"]
            small = ["signaling", "run", "--rounds", "\(rounds)"]
            large = ["signaling", "run", "--rounds", "\(rounds)", "--rooms", "\(largeRooms)", "--latency-seconds", "2", "--throughput-seconds", "2",
                     "--only", "gateway", "python", "echo", "echo-queued"]
            invites = ["invites", "--invites", "20"]
            // Short runs in many rounds: the machine's speed drifts by more than the gap measured, and
            // contenders that run seconds apart see the same machine.
            bell = ["web", "--bell-only", "--rounds", "\(max(rounds, 9))", "--duration", "2"]
        }
        let isMemory: @Sendable (TargetCheck) -> Bool = { $0.name.hasPrefix("memory per idle socket") }
        return [
            PlannedPart(key: "ledger", title: "ledger", arguments: ledger + shared, keep: nil),
            PlannedPart(key: "startup", title: "startup", arguments: startup + (dir.map { ["--dir", $0] } ?? []), keep: nil),
            // Idle memory is a target at 10,000 sockets; at 1,000 the fixed costs of the process weigh in.
            PlannedPart(key: "signaling", title: "signaling", arguments: small + shared, keep: { !isMemory($0) }),
            PlannedPart(key: "signaling_large", title: "signaling, large", arguments: large + shared, keep: nil),
            PlannedPart(key: "invites", title: "invites", arguments: invites + (python.map { ["--python", $0] } ?? []), keep: nil),
            PlannedPart(key: "bell", title: "bell", arguments: bell, keep: nil),
        ]
    }

    /// Runs this binary with `arguments`; its table goes to stderr after its progress.
    private func runChild(_ arguments: [String]) throws {
        let binary = SignalingProcStats.executableDirectory().appendingPathComponent("crow-bench").path
        let run = try runToolBlocking(binary, arguments, errors: .passedThrough)
        FileHandle.standardError.write(Data(run.stdout.utf8))
        guard run.status == 0 else { throw BenchError("exited with status \(run.status)") }
    }
}
