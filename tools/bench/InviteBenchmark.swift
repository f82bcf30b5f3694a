import ArgumentParser
import Foundation

/// `crow-bench invites`: from the panel's **Call** (`POST /api/rooms` with a contact on gateway A) to the
/// `received` change on gateway B's `/api/calls/stream`, which the toast shows on, through a local
/// nostr-relay (`tools/bench/python/invite_toast_latency.py` drives two `crow-calls serve` processes).
///
/// Contenders, one after another in one run: the gateway as it ships (relay connections kept open
/// between publishes) and with `CROW_NOSTR_RELAY_KEEP_OPEN=0` (a connection for every publish, as before);
/// each straight to the relay and, with `--rtt-ms`, with the relay behind a proxy that adds that round
/// trip to every connection and every byte, as a relay across a network would. Each call is split into
/// stages from the gateways' own records: the POST answered, B's intake (`receivedAt`), B's ledger
/// (`recorded_at`), the relay handing the event on (a watcher), and A's invite turning `sent`.
/// Targets, on the shipped gateway through the local relay: p50 ≤ 300 ms and p95 ≤ 1 s.
struct InviteBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invites",
        abstract: "Call on one gateway to the other's toast (its stream's `received`) through a local relay (target p50 ≤ 300 ms, p95 ≤ 1 s)."
    )

    @Option(help: "Timed calls per contender (after two warm-up calls).") var invites = 20
    @Option(name: .customLong("rtt-ms"), help: "Also run with this round trip added between the gateways and the relay (0 skips).")
    var rttMs = 100
    @Option(help: "Python with the test tools (default: the repository's .venv).") var python: String?
    @Option(name: .customLong("json-file"), help: "Also write the results as JSON to this file (read by `crow-bench all`).")
    var jsonFile: String?

    struct Contender {
        let key: String
        let label: String
        let rtt: Int
        let keepOpen: Bool
    }

    static let stages: [(key: String, label: String)] = [
        ("post_ms", "POST /api/rooms answered"),
        ("relay_ms", "relay hands the event on (watcher)"),
        ("intake_ms", "B's intake (receivedAt)"),
        ("ledger_ms", "B's ledger (recorded_at)"),
        ("sent_ms", "A's invite `sent`"),
    ]

    func run() async throws {
        let loadStart = BenchReport.loadAverage()
        var contenders = [
            Contender(key: "invite_toast", label: "Call → B's stream `received`, local relay", rtt: 0, keepOpen: true),
            Contender(key: "invite_toast_per_publish", label: "  the same, a connection per publish (KEEP_OPEN=0)", rtt: 0, keepOpen: false),
        ]
        if rttMs > 0 {
            contenders += [
                Contender(key: "invite_toast_rtt", label: "Call → B's stream `received`, relay \(rttMs) ms away", rtt: rttMs, keepOpen: true),
                Contender(
                    key: "invite_toast_rtt_per_publish", label: "  the same, a connection per publish (KEEP_OPEN=0)", rtt: rttMs, keepOpen: false),
            ]
        }
        var book = FigureBook()
        var skipped: [String] = []
        switch PythonScript.locate("tools/bench/python/invite_toast_latency.py", python: python, venvHint: " with nostr-relay") {
        case .failure(let error):
            skipped.append("invites: \(error)")
        case .success(let (pythonPath, script)):
            let root = URL(fileURLWithPath: script).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            let relay = root.appendingPathComponent(".venv/bin/nostr-relay").path
            guard FileManager.default.isExecutableFile(atPath: relay) else {
                skipped.append("invites: \(relay) missing (run tools/bootstrap.sh to install nostr-relay)")
                break
            }
            for contender in contenders {
                log("timing \(invites) calls: \(contender.label.trimmingCharacters(in: .whitespaces))")
                var arguments = ["--bin-dir", SignalingProcStats.executableDirectory().path, "--invites", "\(invites)", "--rtt-ms", "\(contender.rtt)"]
                if !contender.keepOpen { arguments += ["--env", "CROW_NOSTR_RELAY_KEEP_OPEN=0"] }
                guard let figures = try PythonScript.runFigures(python: pythonPath, script: script, arguments: arguments) else {
                    throw BenchError("the invite run failed (\(contender.key))")
                }
                record(contender, figures, into: &book)
            }
        }
        let samples = book.samples("invite_toast")
        let measured = !samples.isEmpty
        let reason = measured ? missReason(book) : nil
        let targets = [
            TargetCheck(
                name: "Call → the other gateway's toast (stream `received`), local relay, p50", measured: measured ? Statistics.median(samples) : nil,
                threshold: 300, unit: "ms", comparison: .atMost, note: nil, low: samples.min(), high: samples.max(), reason: reason),
            TargetCheck(
                name: "Call → the other gateway's toast (stream `received`), local relay, p95",
                measured: measured ? Statistics.percentile(samples, 0.95) : nil, threshold: 1000, unit: "ms", comparison: .atMost, note: nil,
                low: samples.min(), high: samples.max(), reason: reason),
        ]
        let report = BenchReport(
            name: "invites", loadAverageStart: loadStart, parameters: ["invites": invites, "rtt_ms": rttMs], fill: nil, figures: book,
            targets: targets, skipped: skipped)
        if let jsonFile { try report.write(to: jsonFile) }
        print(ReportPrinter.text(report))
    }

    /// Every call of a contender as a sample (the median is the p50), its p95 as a figure of its own,
    /// and the median of each stage, as the time from the start of the POST.
    private func record(_ contender: Contender, _ figures: [String: [Double]], into book: inout FigureBook) {
        let toast = figures["stream_ms"] ?? []
        for value in toast { book.record(contender.key, contender.label, unit: "ms", Sample(value: value)) }
        book.record(contender.key + "_p95", "    p95", unit: "ms", Sample(value: Statistics.percentile(toast, 0.95)))
        for stage in Self.stages {
            guard let values = figures[stage.key], !values.isEmpty else { continue }
            let key = contender.key + "_" + stage.key.replacingOccurrences(of: "_ms", with: "")
            book.record(key, "    until \(stage.label), p50", unit: "ms", Sample(value: Statistics.median(values)))
        }
        log(String(format: "  p50 %.0f ms, p95 %.0f ms, max %.0f ms", Statistics.median(toast), Statistics.percentile(toast, 0.95), toast.max() ?? 0))
    }

    /// Where the time went, from the stages of the same run: before the relay had it, the relay to B's
    /// ledger, and B's ledger to its stream.
    private func missReason(_ book: FigureBook) -> String? {
        guard let toast = book.median("invite_toast"), let post = book.median("invite_toast_post"),
            let intake = book.median("invite_toast_intake"), let ledger = book.median("invite_toast_ledger")
        else { return nil }
        let relay = book.median("invite_toast_relay")
        let ms = { (value: Double) in String(format: "%.0f ms", value) }
        var parts = ["p50 split: the POST answered at \(ms(post))"]
        if let relay { parts.append("the relay handed the event on at \(ms(relay))") }
        parts.append("B's intake at \(ms(intake)), its ledger at \(ms(ledger)), its stream at \(ms(toast))")
        return parts.joined(separator: ", ")
    }
}
