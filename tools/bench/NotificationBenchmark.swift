import ArgumentParser
import Foundation

/// `crow-bench notifications`: how long an incoming call takes to leave the gateway as a Web Push
/// message and an ntfy publish, measured from `invite.received` being recorded to the request arriving
/// at a local receiver (`tools/bench/python/notify_latency.py`), beside a plain POST to the same
/// receiver. The target is under 500 ms for both.
struct NotificationBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "Time from an incoming call to its Web Push and ntfy requests (target < 500 ms)."
    )

    @Option(help: "Timed calls.") var calls = 20
    @Option(help: "Python with the test tools (default: the repository's .venv).") var python: String?

    func run() async throws {
        let located = PythonScript.locate("tools/bench/python/notify_latency.py", python: python, venvHint: " with nostr-sdk")
        guard case .success(let (pythonPath, script)) = located else {
            if case .failure(let error) = located { throw BenchError("\(error)") }
            return
        }
        log("timing \(calls) incoming calls until their push and ntfy requests arrive")
        let arguments = ["--bin-dir", SignalingProcStats.executableDirectory().path, "--calls", "\(calls)"]
        guard let figures = try PythonScript.runFigures(python: pythonPath, script: script, arguments: arguments) else {
            throw BenchError("the notification latency run failed")
        }
        let baseline = Statistics.median(figures["post_ms"] ?? [])
        var table = TextTable(["figure", "p50 ms", "p95 ms", "max ms", "p50 / plain POST", "target"], leftAligned: [0, 5])
        for (key, label) in [("push_ms", "invite.received → Web Push request at receiver"), ("ntfy_ms", "invite.received → ntfy request at receiver"), ("post_ms", "plain POST round trip (baseline)")] {
            let samples = figures[key] ?? []
            guard !samples.isEmpty else { continue }
            let p50 = Statistics.median(samples)
            let p95 = Statistics.percentile(samples, 0.95)
            let ratio = key == "post_ms" ? "1.00×" : String(format: "%.1f×", p50 / max(baseline, 0.001))
            let target = key == "post_ms" ? "" : (p95 < 500 ? "< 500 ms PASS" : "< 500 ms MISS")
            table.add([label] + [p50, p95, samples.max() ?? 0].map { String(format: "%.1f", $0) } + [ratio, target])
        }
        print(table.render())
    }
}
