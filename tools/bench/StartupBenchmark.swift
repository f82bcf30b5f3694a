import ArgumentParser
import Foundation
import HarnessKit

#if canImport(Glibc)
import Glibc
#endif

/// `crow-bench startup`: the time from starting `crow-calls serve` (the release binary beside this one)
/// until `GET /readyz` answers 200, on an empty ledger and on one of `--events` events (the call
/// workload of `crow-bench ledger`), alternating. The first start on the filled ledger is reported on
/// its own: it closes the seats the fill left open (`peer.left(restart)`), which later starts do not.
struct StartupBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "crow-calls serve to /readyz 200: empty ledger vs a large one (target ≤ 300 ms at 1M, flat)."
    )

    @Option(help: "Events in the large ledger.") var events = 1_000_000
    @Option(help: "Days the events are spread over.") var days = 30
    @Option(help: "Starts of each ledger, alternating.") var rounds = 5
    @Option(help: "Directory under which the temporary benchmark directory is made.") var dir: String?

    @Option(name: .customLong("json-file"), help: "Also write the results as JSON to this file (read by `crow-bench all`).")
    var jsonFile: String?

    func run() async throws {
        let loadStart = BenchReport.loadAverage()
        let binary = SignalingProcStats.executableDirectory().appendingPathComponent("crow-calls").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("\(binary) missing: swift build -c release") }
        let directory = try TemporaryDirectory(prefix: "crow-bench", under: dir)
        defer { directory.remove() }
        let emptyData = (directory.path as NSString).appendingPathComponent("empty")
        let largeData = (directory.path as NSString).appendingPathComponent("large")
        try FileManager.default.createDirectory(atPath: emptyData, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: largeData, withIntermediateDirectories: true)
        log("filling a ledger with \(events) events")
        let filled = try await LedgerFiller(events: events, days: days, directory: directory).fill(progress: log)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: filled.path + suffix) {
            try FileManager.default.moveItem(atPath: filled.path + suffix, toPath: (largeData as NSString).appendingPathComponent("ledger.sqlite" + suffix))
        }
        try? FileManager.default.removeItem(atPath: filled.path + "-shm")
        // Each data directory gets its keys and owner setup on a first, untimed start of the empty one;
        // the large one's first start is timed and shown apart.
        _ = try startToReady(binary: binary, data: emptyData)
        let first = try startToReady(binary: binary, data: largeData)
        log(String(format: "first start on the large ledger (closes the fill's open seats): %.0f ms", first))
        var book = FigureBook()
        for round in 1...rounds {
            let empty = try startToReady(binary: binary, data: emptyData)
            let large = try startToReady(binary: binary, data: largeData)
            book.record("startup_empty", "serve -> /readyz 200, empty ledger", unit: "ms", Sample(value: empty))
            book.record("startup_large", "serve -> /readyz 200, \(filled.events) events", unit: "ms", Sample(value: large))
            log(String(format: "  round %d: empty %.0f ms, %lld events %.0f ms", round, empty, filled.events, large))
        }
        book.record("startup_first", "  first start on the large ledger (closes the fill's open seats)", unit: "ms", Sample(value: first))
        let large = book.samples("startup_large")
        let flat = book.roundRatios("startup_large", "startup_empty")
        let note = filled.events >= 1_000_000 ? nil : "ledger holds \(filled.events) events, not 1M"
        let report = BenchReport(
            name: "startup",
            loadAverageStart: loadStart,
            parameters: ["events": events, "days": days, "rounds": rounds],
            fill: BenchReport.Fill(filled, days: days),
            figures: book,
            targets: [
                TargetCheck(
                    name: "serve -> /readyz 200 at \(filled.events) events", measured: book.median("startup_large"),
                    threshold: 300, unit: "ms", comparison: .atMost, note: note, low: large.min(), high: large.max()),
                TargetCheck(
                    name: "flat: start on the large ledger vs an empty one", measured: book.ratio("startup_large", "startup_empty"),
                    threshold: 1.5, unit: "x", comparison: .atMost, note: note, low: flat.min(), high: flat.max()),
            ],
            skipped: []
        )
        if let jsonFile { try report.write(to: jsonFile) }
        print(ReportPrinter.text(report))
    }

    /// Starts `serve` on `data` and returns the milliseconds until `/readyz` answers 200; then stops it.
    func startToReady(binary: String, data: String) throws -> Double {
        let port = try Self.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "\(port)", "--data-dir", data]
        var environment = ProcessInfo.processInfo.environment
        environment["LOG_LEVEL"] = "warning"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let started = ContinuousClock.now
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        // Polled by hand, every millisecond and on this thread: the wait is the figure itself.
        let deadline = started + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try? BenchHTTPConnection.request(port: port, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) == 200 {
                let elapsed = ContinuousClock.now - started
                return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            }
            guard process.isRunning else { throw BenchError("crow-calls serve exited (status \(process.terminationStatus)) on \(data)") }
            usleep(1000)
        }
        throw BenchError("crow-calls serve on \(data) was not ready within 60 s")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
