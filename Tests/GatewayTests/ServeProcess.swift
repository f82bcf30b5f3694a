import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `crow-calls serve` run as a child process, the way an operator runs it.
final class ServeProcess {
    let process = Process()
    private(set) var port = 0

    /// Starts the gateway on a free port and waits for its "listening on" line.
    init(dataDirectory: String, environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: try ServeCommandTests.binary("crow-calls"))
        process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory]
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        env["LOG_LEVEL"] = "error"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("listening on") && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }),
            let address = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }),
            let port = Int(address.split(separator: ":").last ?? "")
        else {
            kill(process.processIdentifier, SIGKILL)
            throw TestPeerError.timeout("crow-calls did not start: \(text)")
        }
        self.port = port
    }

    /// Sends `signal` and waits (bounded) for the process to end.
    func stop(_ signal: Int32) async throws {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}
