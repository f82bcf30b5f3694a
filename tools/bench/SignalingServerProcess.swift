import Foundation
import HarnessKit

/// A server under test, run as a child process so its memory (RSS) and CPU time are its own.
///
/// Every server prints a line ending in `listening on port <n>` (or, for `crow-calls serve`,
/// `listening on http://<host>:<n> …`) once it accepts connections; `start` waits for it. Standard error is passed through. Standard output is drained until the end (a full
/// pipe would stall the child) and only its last few KiB are kept, for error messages.
final class SignalingServerProcess: @unchecked Sendable {
    let name: String
    private let process: Process
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var output = ""

    private init(name: String, process: Process) {
        self.name = name
        self.process = process
    }

    var pid: Int32 { process.processIdentifier }

    /// Starts the child and returns once it printed its port.
    static func start(
        name: String,
        executable: String,
        arguments: [String],
        environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> (server: SignalingServerProcess, port: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardError = FileHandle.standardError
        let stdout = Pipe()
        process.standardOutput = stdout
        let server = SignalingServerProcess(name: name, process: process)
        stdout.fileHandleForReading.readabilityHandler = { [weak server] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                server?.append(String(decoding: data, as: UTF8.self))
            }
        }
        try process.run()
        do {
            let port = try await waitFor(
                "\(name) to print \"listening on port\" within \(timeout): \(server.recentOutput)", timeout: timeout, every: .milliseconds(20)
            ) { () -> Int? in
                if let port = server.listeningPort() { return port }
                guard process.isRunning else {
                    throw BenchError("\(name) exited with status \(process.terminationStatus) before listening: \(server.recentOutput)")
                }
                return nil
            }
            return (server, port)
        } catch {
            await server.stop()
            throw error
        }
    }

    private func append(_ text: String) {
        lock.withLock {
            output += text
            if output.utf8.count > 16_384 { output = String(output.suffix(8_192)) }
        }
    }

    var recentOutput: String { lock.withLock { output } }

    private func listeningPort() -> Int? {
        let text = recentOutput
        // `crow-calls serve` says "listening on http://127.0.0.1:<n> (ledger: …)".
        if let range = text.range(of: "listening on http://") {
            let address = text[range.upperBound...].prefix { !$0.isWhitespace }
            guard address.count < text.distance(from: range.upperBound, to: text.endIndex),
                let colon = address.lastIndex(of: ":")
            else { return nil }
            return Int(address[address.index(after: colon)...]).flatMap { (1...65535).contains($0) ? $0 : nil }
        }
        guard let range = text.range(of: "listening on port ") else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        guard digits.count < text.distance(from: range.upperBound, to: text.endIndex) else { return nil }  // line complete
        return Int(digits).flatMap { (1...65535).contains($0) ? $0 : nil }
    }

    /// Resident memory now, in KiB (`field`: see `SignalingProcStats.residentKiB`).
    func residentKiB(_ field: String = "VmRSS") -> Double? { SignalingProcStats.residentKiB(pid: "\(pid)", field: field) }

    /// User + system CPU seconds used so far.
    func cpuSeconds() -> Double? { SignalingProcStats.cpuSeconds(pid: "\(pid)") }

    /// SIGTERM (graceful shutdown), then SIGKILL if it is still running after `grace`.
    func stop(grace: Duration = .seconds(20)) async {
        if process.isRunning {
            process.terminate()
            try? await waitUntil(timeout: grace, every: .milliseconds(20)) { !process.isRunning }
            if process.isRunning {
                log("  \(name) did not stop within \(grace) of SIGTERM; sending SIGKILL")
                kill(process.processIdentifier, SIGKILL)
            }
        }
        try? await waitUntil(timeout: .seconds(5), every: .milliseconds(20)) { !process.isRunning }
    }
}
