import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `crow-calls serve` as the README runs it: it prints where it listens, answers, and stops cleanly on SIGTERM.
@Suite struct ServeCommandTests {
    @Test func serveStartsAnswersAndStopsOnSIGTERM() async throws {
        let dir = try TemporaryDirectory()
        let binary = try Self.binary("crow-calls")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "0", "--data-dir", dir.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("/setup?token=") && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let lines = text.split(separator: "\n").map(String.init)
        let line = try #require(lines.first)
        // On a first start the owner gets a one-time setup link, after the listening line.
        #expect(lines.count >= 2 && lines[1].contains("/setup?token="))
        #expect(line.hasPrefix("crow-calls listening on http://127.0.0.1:"))
        #expect(line.contains(dir.file("ledger.sqlite")))
        let address = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") })
        let (body, response) = try await URLSession.shared.data(from: URL(string: "\(address)/healthz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self) == "ok\n")

        kill(process.processIdentifier, SIGTERM)
        let stopDeadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < stopDeadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test func aBadSettingIsReportedAndNothingStarts() throws {
        let dir = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.binary("crow-calls"))
        process.arguments = ["serve", "--port", "0", "--data-dir", dir.path]
        process.environment = ["CROW_CALLS_MAX_PEERS": "100"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("CROW_CALLS_MAX_PEERS"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("ledger.sqlite")))
    }

    static func binary(_ name: String) throws -> String {
        var candidates: [String] = []
        for path in [CommandLine.arguments.first, Bundle.main.executablePath].compactMap({ $0 }) {
            var url = URL(fileURLWithPath: path).deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(url.path)
                url = url.deletingLastPathComponent()
            }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug").path)
        for directory in candidates {
            let binary = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: binary) { return binary }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
    }
}
