import Foundation
import HarnessKit

#if canImport(Glibc)
import Glibc
#endif

/// A `crow-calls serve` (the release binary beside this one) started on a data directory, timed from
/// the start of the process until `GET /readyz` answers 200. `stop()` ends it with SIGTERM.
struct StartedGateway {
    let process: Process
    let port: Int
    /// Milliseconds from starting the process to the first `/readyz` 200.
    let readyMilliseconds: Double

    static func start(binary: String, data: String) throws -> StartedGateway {
        let port = try StartupBenchmark.freePort()
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
        // Polled by hand, every millisecond and on this thread: the wait is the figure itself.
        let deadline = started + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try? BenchHTTPConnection.request(port: port, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) == 200 {
                let elapsed = ContinuousClock.now - started
                let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                return StartedGateway(process: process, port: port, readyMilliseconds: milliseconds)
            }
            guard process.isRunning else { throw BenchError("crow-calls serve exited (status \(process.terminationStatus)) on \(data)") }
            usleep(1000)
        }
        process.terminate()
        process.waitUntilExit()
        throw BenchError("crow-calls serve on \(data) was not ready within 60 s")
    }

    /// Resident memory in MiB, and its anonymous part (heap and stacks, without mapped files such as
    /// the binary and SQLite's).
    struct Resident {
        let total: Double
        let anonymous: Double
    }

    /// The process's resident memory once it has settled: read every 100 ms until two readings in a
    /// row differ by less than 1% (at most 3 s), so the figure is the idle process, not the tail of
    /// its start.
    func settledResident() async -> Resident? {
        let pid = "\(process.processIdentifier)"
        var previous = SignalingProcStats.residentKiB(pid: pid)
        for _ in 0..<30 {
            try? await Task.sleep(for: .milliseconds(100))
            guard let reading = SignalingProcStats.residentKiB(pid: pid) else { return nil }
            defer { previous = reading }
            if let last = previous, abs(reading - last) < last * 0.01 { break }
        }
        guard let total = SignalingProcStats.residentKiB(pid: pid), let anonymous = SignalingProcStats.residentKiB(pid: pid, field: "RssAnon") else {
            return nil
        }
        return Resident(total: total / 1024, anonymous: anonymous / 1024)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
