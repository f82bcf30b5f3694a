import Dispatch
public import Foundation
import HarnessKit
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `crow-calls serve` run as a child process, the way an operator runs it: both output streams are
/// collected in the background, and the test waits for a line rather than for a fixed time.
public final class ServedGateway: Sendable {
    public let process: Process
    /// Text collected from one stream.
    private final class Sink: Sendable {
        let text = Mutex("")
    }

    private let stdout = Sink()
    private let stderr = Sink()
    private let finished = DispatchGroup()

    /// Starts `crow-calls serve --port 0 --data-dir <dataDirectory>` (plus `arguments`) with `environment`
    /// added to this process's, and waits for its "listening on" line.
    public init(dataDirectory: String, arguments: [String] = [], environment: [String: String] = [:]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try productBinary("crow-calls"))
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory] + arguments
        var merged = ProcessInfo.processInfo.environment
        merged["LOG_LEVEL"] = "error"
        merged.merge(environment) { $1 }
        process.environment = merged
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        self.process = process
        for (pipe, sink) in [(out, stdout), (err, stderr)] {
            finished.enter()
            let handle = pipe.fileHandleForReading
            let group = finished
            // A thread of its own per stream: a blocking read for the gateway's whole life must not hold
            // one of dispatch's global threads (as many as the cores, and they carry name lookups too).
            Thread { [sink] in
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    sink.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
                }
                group.leave()
            }.start()
        }
        try process.run()
        _ = try await waitFor("listening on")
    }

    /// Everything printed on standard output so far.
    public var output: String { stdout.text.withLock { $0 } }
    /// Everything printed on standard error so far.
    public var errors: String { stderr.text.withLock { $0 } }

    /// Waits until standard output contains `marker` and returns the output. Throws when it does not
    /// within `timeout`, or when the process ends first.
    public func waitFor(_ marker: String, timeout: Duration = .seconds(30)) async throws -> String {
        try await HarnessKit.waitFor("crow-calls to print \(marker) within \(timeout): \(output)", timeout: timeout) {
            let text = output
            if text.contains(marker) { return text }
            guard process.isRunning else { throw HarnessError.failed("crow-calls ended before printing \(marker): \(text) \(errors)") }
            return nil
        }
    }

    /// The address from the "listening on" line.
    public var baseURL: String? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("listening on") }) else { return nil }
        return line.split(separator: " ").first { $0.hasPrefix("http://") || $0.hasPrefix("https://") }.map(String.init)
    }

    public var port: Int { baseURL.flatMap { $0.split(separator: ":").last.flatMap { Int($0) } } ?? 0 }

    /// The one-time setup link a first start prints, if it printed one.
    public var setupURL: String? {
        output.split(separator: "\n").first { $0.contains("/setup?token=") }?
            .split(separator: " ").first { $0.contains("/setup?token=") }.map(String.init)
    }

    /// Sends `signal`, waits (bounded) for the process to end and for both streams to close.
    public func stop(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async throws {
        kill(process.processIdentifier, signal)
        try await waitUntil("crow-calls to stop within \(timeout)", timeout: timeout) { !process.isRunning }
        // Both streams close when the process ends; polled, so the wait holds no thread of the pool.
        try await waitUntil("its output to close", timeout: .seconds(5)) { finished.wait(timeout: .now()) == .success }
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
