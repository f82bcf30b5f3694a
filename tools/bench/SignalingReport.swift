/// The figures of a `crow-bench signaling` run (median over rounds, with min–max), side by side per
/// contender, and the targets checked against the medians.
struct SignalingReport: Sendable {
    /// A figure's samples by contender, one per round that produced it.
    typealias Samples = [SignalingContender: [String: [Double]]]

    struct Target: Sendable {
        let name: String
        /// nil when a figure it needs is missing.
        let measured: Double?
        let unit: String
        let comparison: String
        let threshold: Double
        let passed: Bool

        var status: String { measured == nil ? "SKIP" : (passed ? "PASS" : "MISS") }
    }

    let header: [String]
    let contenders: [SignalingContender]
    let samples: Samples
    let latencyRate: Double
    let sockets: Int
    let notes: [String]

    /// Row key, label, and whether the min–max spread is shown.
    static let rows: [(key: String, label: String, spread: Bool)] = [
        ("lat_p50_us", "relay latency p50, paced (us)", true),
        ("lat_p99_us", "relay latency p99, paced (us)", true),
        ("lat_p999_us", "relay latency p99.9, paced (us)", false),
        ("lat_max_us", "relay latency max, paced (us)", false),
        ("lat_rate", "  paced load sent (msg/s)", false),
        ("lat_samples", "  latency samples per round", false),
        ("throughput", "throughput, closed loop (msg/s)", true),
        ("sat_p50_us", "  latency at saturation p50 (us)", false),
        ("sat_p99_us", "  latency at saturation p99 (us)", false),
        ("server_cpu_us_per_msg", "  server CPU per message (us)", false),
        ("server_cores", "  server CPU (cores busy)", false),
        ("client_cpu_us_per_msg", "  client CPU per message (us)", false),
        ("client_cores", "  client CPU (cores busy)", false),
        ("rss_start_kib", "server RSS before connecting (KiB)", false),
        ("rss_idle_kib", "server RSS with all sockets idle (KiB)", false),
        ("idle_kib_per_socket", "memory per idle socket (KiB)", true),
        ("marginal_kib_per_socket", "  second half of the sockets only (KiB)", false),
        ("anon_kib_per_socket", "  anonymous memory only, RssAnon (KiB)", false),
        ("connect_s", "connect all sockets (s)", false),
        ("lat_lost", "messages lost (paced)", false),
        ("tput_lost", "messages lost (closed loop)", false),
        ("server_errors", "error messages from the server", false),
        ("sockets_dropped", "sockets closed by the server", false),
    ]

    func median(_ contender: SignalingContender, _ key: String) -> Double? {
        guard let values = samples[contender]?[key], !values.isEmpty else { return nil }
        return Statistics.median(values)
    }

    var targets: [Target] {
        let gatewayP99 = median(.gateway, "lat_p99_us")
        let gateway = median(.gateway, "throughput")
        let python = median(.python, "throughput")
        let echo = median(.echo, "throughput")
        let memory = median(.gateway, "idle_kib_per_socket")
        let versusPython = gateway.flatMap { g in python.flatMap { $0 > 0 ? g / $0 : nil } }
        let echoOverGateway = gateway.flatMap { g in echo.flatMap { g > 0 ? $0 / g : nil } }
        return [
            Target(
                name: "gateway relay p99 at \(ReportPrinter.number(latencyRate)) msg/s, \(sockets) sockets", measured: gatewayP99,
                unit: "us", comparison: "<", threshold: 2000, passed: (gatewayP99 ?? .infinity) < 2000),
            Target(
                name: "gateway throughput / Python relay", measured: versusPython,
                unit: "x", comparison: ">=", threshold: 3, passed: (versusPython ?? 0) >= 3),
            Target(
                name: "Swift echo throughput / gateway (within 1.5x)", measured: echoOverGateway,
                unit: "x", comparison: "<=", threshold: 1.5, passed: (echoOverGateway ?? .infinity) <= 1.5),
            Target(
                name: "gateway memory per idle socket", measured: memory,
                unit: "KiB", comparison: "<=", threshold: 32, passed: (memory ?? .infinity) <= 32),
        ]
    }

    var text: String {
        var out = header
        out.append("")
        let width = 26
        out.append(cell("figure (median of rounds, [min-max])", 44) + contenders.map { pad($0.label, width) }.joined())
        out.append(String(repeating: "-", count: 44 + width * contenders.count))
        for row in Self.rows where contenders.contains(where: { samples[$0]?[row.key]?.isEmpty == false }) {
            var line = cell(row.label, 44)
            for contender in contenders {
                line += pad(value(contender, row.key, spread: row.spread), width)
            }
            out.append(line)
        }
        out.append("")
        out.append(cell("target", 56) + pad("measured", 14) + pad("target", 14) + pad("result", 8))
        out.append(String(repeating: "-", count: 92))
        for target in targets {
            let measured = target.measured.map { "\(ReportPrinter.number($0)) \(target.unit)" } ?? "-"
            let threshold = "\(target.comparison) \(ReportPrinter.number(target.threshold)) \(target.unit)"
            out.append(cell(target.name, 56) + pad(measured, 14) + pad(threshold, 14) + pad(target.status, 8))
        }
        out += notes.map { "note: \($0)" }
        return out.joined(separator: "\n")
    }

    private func value(_ contender: SignalingContender, _ key: String, spread: Bool) -> String {
        guard let values = samples[contender]?[key], !values.isEmpty, let median = median(contender, key) else { return "-" }
        var text = ReportPrinter.number(median)
        if spread, values.count > 1, let low = values.min(), let high = values.max() {
            text += " [\(ReportPrinter.number(low))-\(ReportPrinter.number(high))]"
        }
        return text
    }

    private func cell(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(1, width - text.count)) + text
    }
}
