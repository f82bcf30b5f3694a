import ArgumentParser
import Foundation
import HarnessKit

/// `crow-bench signaling [run]`: the gateway's signaling relay against a Python `websockets` relay and
/// a Swift echo, in alternating rounds (each round runs every contender once, the starting contender
/// rotating), medians reported, with the issue's targets marked PASS or MISS.
struct SignalingRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Relay latency, throughput and idle memory with 1,000 sockets: gateway vs Python relay vs Swift echo."
    )

    @Option(help: "Rounds; each runs every contender once, in turn. Medians are reported.")
    var rounds: Int = 3

    @Option(help: "Rooms; all their sockets stay connected through a trial.")
    var rooms: Int = 250

    @Option(help: "Peers (sockets) per room.")
    var peers: Int = 4

    @Option(name: .customLong("latency-rate"), help: "Paced load for the latency figures, in messages/s over all rooms.")
    var latencyRate: Double = 2000

    @Option(name: .customLong("latency-seconds"), help: "Measured seconds of paced load.")
    var latencySeconds: Double = 5

    @Option(name: .customLong("throughput-seconds"), help: "Measured seconds of closed-loop load.")
    var throughputSeconds: Double = 5

    @Option(name: .customLong("warmup-seconds"), help: "Unrecorded seconds before each measured phase.")
    var warmupSeconds: Double = 1

    @Option(name: .customLong("settle-seconds"), help: "Wait before each RSS reading.")
    var settleSeconds: Double = 1

    @Option(help: "Messages each socket keeps in flight in the closed-loop phase.")
    var window: Int = 2

    @Option(name: .customLong("client-threads"), help: "Event loop threads of the client (all sockets).")
    var clientThreads: Int = 1

    @Option(name: .customLong("connect-concurrency"), help: "Rooms connecting at the same time.")
    var connectConcurrency: Int = 16

    @Option(parsing: .upToNextOption, help: "Contenders to run: gateway, python, echo, echo-queued (default: the first three).")
    var only: [String] = []

    @Option(help: "Python interpreter for the relay baseline (default: <repo>/.venv/bin/python).")
    var python: String?

    @Option(help: "Directory under which the temporary benchmark directory is made (default: the system temp dir).")
    var dir: String?

    @Option(name: .customLong("json-file"), help: "Also write the results as JSON to this file (read by `crow-bench all`).")
    var jsonFile: String?

    @Flag(help: "Smoke run: 1 round, 10 rooms, 1 s phases, 0.2 s warm-up and settle (overrides those options).")
    var quick = false

    func validate() throws {
        guard rounds >= 1, (1...10_000).contains(rooms), (2...16).contains(peers) else {
            throw ValidationError("--rounds >= 1, --rooms 1...10000, --peers 2...16")
        }
        guard latencyRate > 0, latencySeconds > 0, throughputSeconds > 0, warmupSeconds >= 0, settleSeconds >= 0 else {
            throw ValidationError("rates and durations must be positive")
        }
        guard (1...64).contains(window), (1...16).contains(clientThreads), (1...256).contains(connectConcurrency) else {
            throw ValidationError("--window 1...64, --client-threads 1...16, --connect-concurrency 1...256")
        }
        for name in only where SignalingContender(rawValue: name) == nil {
            throw ValidationError("unknown contender \(name); use gateway, python, echo or echo-queued")
        }
    }

    func run() async throws {
        let settings = trialSettings()
        let sockets = settings.rooms * settings.peers
        let loadStart = BenchReport.loadAverage()
        // Each socket is one descriptor here and one in the server (the child inherits the limit).
        let fileLimit = SignalingProcStats.raiseOpenFileLimit(to: sockets * 2 + 1024)
        guard fileLimit >= sockets + 256 else {
            throw BenchError("open-file limit \(fileLimit) is too low for \(sockets) sockets; raise `ulimit -n`")
        }
        let directory = try TemporaryDirectory(prefix: "crow-bench", under: dir)
        defer { directory.remove() }
        let interrupt = InterruptCleanup(directory: directory)
        defer { interrupt.cancel() }

        var contenders = only.isEmpty ? SignalingContender.standard : only.compactMap(SignalingContender.init(rawValue:))
        var notes: [String] = []
        var pythonPaths: (python: String, script: String)?
        if contenders.contains(.python) {
            switch SignalingContender.locatePython(explicit: python) {
            case .success(let found): pythonPaths = found
            case .failure(let error):
                notes.append("python relay skipped: \(error)")
                log("python relay skipped: \(error)")
                contenders.removeAll { $0 == .python }
            }
        }

        var samples: SignalingReport.Samples = [:]
        for round in 1...(quick ? 1 : rounds) {
            let order = (0..<contenders.count).map { contenders[($0 + round - 1) % contenders.count] }
            log("round \(round): \(order.map(\.label).joined(separator: ", "))")
            for contender in order {
                let trial = SignalingTrial(contender: contender, settings: settings, directory: directory, python: pythonPaths)
                do {
                    let figures = try await trial.run(round: round)
                    for (key, value) in figures { samples[contender, default: [:]][key, default: []].append(value) }
                    log("  \(contender.label): " + summary(figures))
                } catch {
                    notes.append("round \(round), \(contender.label): \(error)")
                    log("  \(contender.label) failed: \(error)")
                }
            }
        }
        let report = SignalingReport(
            header: [
                "crow-bench signaling  \(BenchReport.now())  \(BenchReport.buildKind) build, \(ProcessInfo.processInfo.activeProcessorCount) cores, load \(loadStart) -> \(BenchReport.loadAverage())",
                "\(sockets) sockets (\(settings.rooms) rooms x \(settings.peers)), \(quick ? 1 : rounds) round(s); paced \(ReportPrinter.number(settings.latencyRate)) msg/s for \(ReportPrinter.number(settings.latencyDuration.seconds)) s; closed loop \(settings.window)/socket for \(ReportPrinter.number(settings.throughputDuration.seconds)) s; client \(settings.clientThreads) event loop thread(s); open-file limit \(fileLimit)",
            ],
            contenders: contenders,
            samples: samples,
            latencyRate: settings.latencyRate,
            sockets: sockets,
            notes: notes + (BenchReport.buildKind == "debug" ? ["debug build; use `bash tools/release-build.sh crow-calls crow-bench` for real figures"] : [])
        )
        if let jsonFile {
            try report.benchReport(
                loadStart: loadStart,
                parameters: ["rooms": settings.rooms, "peers": settings.peers, "sockets": sockets, "rounds": quick ? 1 : rounds]
            ).write(to: jsonFile)
        }
        print(report.text)
    }

    private func trialSettings() -> SignalingTrial.Settings {
        SignalingTrial.Settings(
            rooms: quick ? min(rooms, 10) : rooms,
            peers: peers,
            clientThreads: clientThreads,
            connectConcurrency: connectConcurrency,
            settle: .milliseconds(Int((quick ? 0.2 : settleSeconds) * 1000)),
            warmup: .milliseconds(Int((quick ? 0.2 : warmupSeconds) * 1000)),
            latencyRate: quick ? min(latencyRate, 200) : latencyRate,
            latencyDuration: .milliseconds(Int((quick ? 1 : latencySeconds) * 1000)),
            throughputDuration: .milliseconds(Int((quick ? 1 : throughputSeconds) * 1000)),
            window: window
        )
    }

    private func summary(_ figures: [String: Double]) -> String {
        func figure(_ key: String) -> String { figures[key].map(ReportPrinter.number) ?? "-" }
        return "p50 \(figure("lat_p50_us")) us, p99 \(figure("lat_p99_us")) us, \(figure("throughput")) msg/s, "
            + "\(figure("idle_kib_per_socket")) KiB/idle socket, server \(figure("server_cpu_us_per_msg")) us CPU/msg"
    }
}
