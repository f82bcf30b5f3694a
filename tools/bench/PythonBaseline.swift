import Foundation
import HarnessKit

/// The Python `eventsourcing` 9.5.6 baseline (tools/bench/python/eventsourcing_bench.py): one
/// aggregate, one event per `app.save`, each save one SQLite transaction (WAL, the library's default
/// synchronous, which is FULL). Run as a subprocess; its JSON line is parsed.
struct PythonBaseline: Sendable {
    let python: String
    let script: String
    let appends: Int
    let warmup: Int
    let directory: TemporaryDirectory

    private struct Output: Decodable {
        let events: Int
        let seconds: Double
        let events_per_second: Double
        let journal_mode: String
        let synchronous: Int
    }

    func run(round: Int) async throws -> Sample {
        let path = directory.freshDatabase("eventsourcing-\(round).sqlite")
        defer { directory.removeDatabase(at: path) }
        let run = try runToolBlocking(
            python, [script, "--db", path, "--count", String(appends), "--warmup", String(warmup)], errors: .passedThrough)
        guard run.status == 0 else {
            throw BenchError("python baseline exited with status \(run.status)")
        }
        let text = run.stdout
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw BenchError("python baseline printed no JSON line: \(text)")
        }
        let output = try JSONDecoder().decode(Output.self, from: Data(line.utf8))
        guard output.journal_mode.lowercased() == "wal" else {
            throw BenchError("python baseline ran with journal_mode \(output.journal_mode), not WAL")
        }
        return Sample(
            value: output.events_per_second,
            details: [
                "synchronous": Double(output.synchronous),
                "mean_latency_us": output.seconds / Double(max(output.events, 1)) * 1e6,
            ]
        )
    }

    /// The interpreter and script to use, or why the baseline cannot run.
    static func locate(python explicit: String?) -> Result<(python: String, script: String), BenchError> {
        PythonScript.locate("tools/bench/python/eventsourcing_bench.py", python: explicit, venvHint: "")
    }
}
