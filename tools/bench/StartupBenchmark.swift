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
/// Each round also weighs the idle gateway (resident memory after start, with live rooms, and on the
/// large ledger; tools/bench/README.md).
struct StartupBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "crow-calls serve to /readyz 200 (empty ledger vs a large one: ≤ 300 ms at 1M, flat) and its idle memory."
    )

    @Option(help: "Events in the large ledger.") var events = 1_000_000
    @Option(help: "Days the events are spread over.") var days = 30
    @Option(help: "Starts of each ledger, alternating.") var rounds = 5
    @Option(help: "Live rooms (two people each) for the memory figure with calls in progress.") var liveRooms = 10
    @Option(help: "Directory under which the temporary benchmark directory is made.") var dir: String?

    @Option(name: .customLong("json-file"), help: "Also write the results as JSON to this file (read by `crow-bench all`).")
    var jsonFile: String?

    func run() async throws {
        let loadStart = BenchReport.loadAverage()
        let binary = SignalingProcStats.executableDirectory().appendingPathComponent("crow-calls").path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw BenchError("\(binary) missing: bash tools/release-build.sh crow-calls crow-bench") }
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
            let empty = try await startAndWeigh(binary: binary, data: emptyData)
            let large = try await startAndWeigh(binary: binary, data: largeData)
            let withRooms = try await residentWithLiveRooms(binary: binary, under: directory, round: round, rooms: liveRooms)
            book.record("startup_empty", "serve -> /readyz 200, empty ledger", unit: "ms", Sample(value: empty.milliseconds))
            book.record("startup_large", "serve -> /readyz 200, \(filled.events) events", unit: "ms", Sample(value: large.milliseconds))
            let readings: [(String, String, StartedGateway.Resident?)] = [
                ("rss_idle", "resident memory, idle after start, empty ledger", empty.resident),
                ("rss_rooms", "resident memory, \(liveRooms) live rooms of 2 (WebSockets joined)", withRooms),
                ("rss_large", "resident memory, idle after start, \(filled.events) events", large.resident),
            ]
            for (key, label, resident) in readings {
                guard let resident else { continue }
                book.record(key, label, unit: "MiB", Sample(value: resident.total, details: ["anonymous": resident.anonymous]))
            }
            log(String(format: "  round %d: empty %.0f ms, %lld events %.0f ms; resident %.1f / %.1f (%ld rooms) / %.1f MiB",
                       round, empty.milliseconds, filled.events, large.milliseconds,
                       empty.resident?.total ?? -1, liveRooms, withRooms?.total ?? -1, large.resident?.total ?? -1))
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
                memoryTarget(book, "rss_idle", name: "resident memory, idle after start", threshold: MemoryTargets.idle, note: nil),
                memoryTarget(book, "rss_rooms", name: "resident memory, \(liveRooms) live rooms", threshold: MemoryTargets.liveRooms, note: nil),
                memoryTarget(book, "rss_large", name: "resident memory, idle after start at \(filled.events) events",
                             threshold: MemoryTargets.largeLedger, note: note),
            ],
            skipped: []
        )
        if let jsonFile { try report.write(to: jsonFile) }
        print(ReportPrinter.text(report))
    }

    /// The memory targets, in MiB: the first release figures on the 2-core reference machine (50.5
    /// idle, 53.5 with 10 rooms, 51.6 on the 1M-event ledger; docs/BENCHMARKS.md, "Memory of an idle
    /// gateway") with about a fifth of headroom. Most of it is the binary's own pages; the anonymous
    /// part was 5.6–6.9 MiB.
    enum MemoryTargets {
        static let idle = 60.0
        static let liveRooms = 64.0
        static let largeLedger = 64.0
    }

    func memoryTarget(_ book: FigureBook, _ key: String, name: String, threshold: Double, note: String?) -> TargetCheck {
        let samples = book.samples(key)
        let measured = book.median(key)
        var reason: String?
        if let measured, measured > threshold, let anonymous = book.details(key)["anonymous"] {
            reason = String(
                format: "of the %.1f MiB, %.1f MiB is anonymous (heap, stacks, SQLite's page cache); the other %.1f MiB is mapped files (the binary and the libraries it loads)",
                measured, anonymous, measured - anonymous)
        }
        return TargetCheck(
            name: name, measured: measured, threshold: threshold, unit: "MiB", comparison: .atMost, note: note,
            low: samples.min(), high: samples.max(), reason: reason)
    }

    /// Starts `serve` on `data` and returns the milliseconds until `/readyz` answers 200; then stops it.
    func startToReady(binary: String, data: String) throws -> Double {
        let gateway = try StartedGateway.start(binary: binary, data: data)
        gateway.stop()
        return gateway.readyMilliseconds
    }

    /// Starts `serve` on `data`, times it to `/readyz` and reads its settled resident memory; then stops it.
    func startAndWeigh(binary: String, data: String) async throws -> (milliseconds: Double, resident: StartedGateway.Resident?) {
        let gateway = try StartedGateway.start(binary: binary, data: data)
        defer { gateway.stop() }
        return (gateway.readyMilliseconds, await gateway.settledResident())
    }

    /// The gateway's resident memory with `rooms` live rooms of two people each: the rooms and their
    /// tokens are written to a fresh data directory, the gateway starts on it, and every peer joins
    /// over a real WebSocket and gets its welcome before the reading.
    func residentWithLiveRooms(binary: String, under directory: TemporaryDirectory, round: Int, rooms: Int) async throws -> StartedGateway.Resident? {
        let data = (directory.path as NSString).appendingPathComponent("rooms-\(round)")
        let plans = try await SignalingRoomSetup.gatewayRooms(dataDirectory: data, rooms: rooms, peers: 2)
        let gateway = try StartedGateway.start(binary: binary, data: data)
        defer { gateway.stop() }
        let client = try await SignalingClient(threads: 1, host: "127.0.0.1", port: gateway.port, expectsWelcome: true)
        do {
            try await client.connect(plans, range: 0..<plans.count, concurrency: 4)
        } catch {
            await client.shutdown()
            throw error
        }
        let resident = await gateway.settledResident()
        await client.shutdown()
        return resident
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
