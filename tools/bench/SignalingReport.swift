import Foundation

/// The figures of a `crow-bench signaling` run (median over rounds, with min–max), side by side per
/// contender, and the targets checked against the medians.
struct SignalingReport: Sendable {
    /// A figure's samples by contender, one per round that produced it.
    typealias Samples = [SignalingContender: [String: [Double]]]

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

    /// The samples of one contender's figure, one per round that produced it.
    func values(_ contender: SignalingContender, _ key: String) -> [Double] {
        samples[contender]?[key] ?? []
    }

    /// `top`'s figure over `bottom`'s in each round (rounds where either failed are left out).
    private func roundRatios(_ top: SignalingContender, _ bottom: SignalingContender, _ key: String) -> [Double] {
        Statistics.roundRatios(values(top, key), values(bottom, key))
    }

    private func ratio(_ top: SignalingContender, _ bottom: SignalingContender, _ key: String) -> Double? {
        guard let high = median(top, key), let low = median(bottom, key), low > 0 else { return nil }
        return high / low
    }

    var targets: [TargetCheck] {
        let p99 = values(.gateway, "lat_p99_us")
        let memory = values(.gateway, "idle_kib_per_socket")
        let versusPython = roundRatios(.gateway, .python, "throughput")
        let echoOverGateway = roundRatios(.echo, .gateway, "throughput")
        let echoOverPython = ratio(.echo, .python, "throughput")
        var memoryReason: String?
        if let echo = median(.echo, "idle_kib_per_socket"), let gateway = median(.gateway, "idle_kib_per_socket") {
            memoryReason = "the Swift echo on the same stack takes \(ReportPrinter.number(echo)) KiB per idle socket by itself; "
                + "the gateway's own state per socket (its hub entries, the join's ledger writes) adds "
                + "\(ReportPrinter.number(gateway - echo)) KiB"
            if let queued = median(.echoQueued, "idle_kib_per_socket") {
                memoryReason! += " (a writer task and queue per socket, which the gateway no longer has, cost "
                    + "\(ReportPrinter.number(queued - echo)) KiB in the echo)"
            }
        }
        return [
            TargetCheck(
                name: "relay p99 at \(ReportPrinter.number(latencyRate)) msg/s, \(sockets) sockets", measured: median(.gateway, "lat_p99_us"),
                threshold: 2000, unit: "us", comparison: .below, note: nil, low: p99.min(), high: p99.max()),
            TargetCheck(
                name: "relay throughput vs the Python relay, \(sockets) sockets", measured: ratio(.gateway, .python, "throughput"),
                threshold: 3, unit: "x", comparison: .atLeast, note: nil, low: versusPython.min(), high: versusPython.max(),
                reason: echoOverPython.map {
                    "the bare Swift echo on the same stack, which relays nothing, reaches \(ReportPrinter.number($0))× the Python relay in this run"
                }),
            TargetCheck(
                name: "Swift echo throughput vs the relay's, \(sockets) sockets", measured: ratio(.echo, .gateway, "throughput"),
                threshold: 1.5, unit: "x", comparison: .atMost, note: nil, low: echoOverGateway.min(), high: echoOverGateway.max(),
                reason: median(.gateway, "server_cpu_us_per_msg").flatMap { gateway in
                    median(.echo, "server_cpu_us_per_msg").map {
                        "server CPU per message: relay \(ReportPrinter.number(gateway)) µs, echo \(ReportPrinter.number($0)) µs"
                    }
                }),
            TargetCheck(
                name: "memory per idle socket, \(sockets) sockets", measured: median(.gateway, "idle_kib_per_socket"),
                threshold: 32, unit: "KiB", comparison: .atMost, note: nil, low: memory.min(), high: memory.max(),
                reason: memoryReason),
        ]
    }

    /// The run as a `BenchReport`: each contender's figures keyed `<contender>_<figure>`.
    func benchReport(loadStart: String, parameters: [String: Int]) -> BenchReport {
        var book = FigureBook()
        for contender in contenders {
            for row in Self.rows {
                // "relay latency p50, paced (us)" -> label without the unit, unit "us".
                var label = row.label
                var unit = ""
                if label.hasSuffix(")"), let open = label.lastIndex(of: "("),
                    case let inside = String(label[label.index(after: open)..<label.index(before: label.endIndex)]),
                    ["us", "msg/s", "KiB", "s", "cores busy"].contains(inside)
                {
                    unit = inside
                    label = String(label[..<open]).trimmingCharacters(in: .whitespaces)
                }
                for value in values(contender, row.key) {
                    book.record("\(contender.rawValue)_\(row.key)", "\(contender.label): \(label)", unit: unit, Sample(value: value))
                }
            }
        }
        return BenchReport(
            name: "signaling", loadAverageStart: loadStart, parameters: parameters, fill: nil, figures: book, targets: targets,
            skipped: notes)
    }

    var text: String {
        var out = header
        out.append("")
        var figures = TextTable(["figure (median of rounds, [min-max])"] + contenders.map(\.label))
        for row in Self.rows where contenders.contains(where: { samples[$0]?[row.key]?.isEmpty == false }) {
            figures.add([row.label] + contenders.map { value($0, row.key, spread: row.spread) })
        }
        out.append(figures.render())
        out.append("")
        out.append(ReportPrinter.targets(targets).render())
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
}
