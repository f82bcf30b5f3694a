import Foundation
import TestSupport
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
        let served = try await ServedGateway(dataDirectory: dir.path)
        let text = try await served.waitFor("/setup?token=")
        let lines = text.split(separator: "\n").map(String.init)
        let line = try #require(lines.first)
        // On a first start the owner gets a one-time setup link, after the listening line.
        #expect(lines.count >= 2 && lines[1].contains("/setup?token="))
        #expect(line.hasPrefix("crow-calls listening on http://127.0.0.1:"))
        #expect(line.contains(dir.file("ledger.sqlite")))
        let address = try #require(served.baseURL)
        let (body, response) = try await URLSession.shared.data(from: URL(string: "\(address)/healthz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self) == "ok\n")

        try await served.stop(SIGTERM)
        #expect(served.process.terminationReason == .exit)
        #expect(served.process.terminationStatus == 0)
    }

    @Test func aBadSettingIsReportedAndNothingStarts() async throws {
        let dir = try TemporaryDirectory()
        let run = try await runTool(
            try productBinary("crow-calls"),
            ["serve", "--port", "0", "--data-dir", dir.path],
            environment: ["CROW_CALLS_MAX_PEERS": "100"]
        )
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains("CROW_CALLS_MAX_PEERS"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("ledger.sqlite")))
    }
}
