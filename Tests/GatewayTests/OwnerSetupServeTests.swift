import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The first-run setup link as an operator sees it: printed by `crow-calls serve`, usable once, and not
/// printed again once the owner exists.
@Suite struct OwnerSetupServeTests {
    /// `crow-calls serve` with its standard output collected in the background.
    final class Served: Sendable {
        final class Output: Sendable {
            let text = Mutex("")
        }

        let process: Process
        private let output = Output()

        init(dataDirectory: String) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try ServeCommandTests.binary("crow-calls"))
            process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory]
            var environment = ProcessInfo.processInfo.environment
            environment["LOG_LEVEL"] = "error"
            process.environment = environment
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            self.process = process
            out.fileHandleForReading.readabilityHandler = { [output] handle in
                let data = handle.availableData
                output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
        }

        var text: String { output.text.withLock { $0 } }

        /// Waits until the output contains `marker`; returns the output.
        func wait(for marker: String, seconds: Double = 30) async throws -> String {
            let deadline = Date().addingTimeInterval(seconds)
            while !text.contains(marker) && Date() < deadline && process.isRunning {
                try await Task.sleep(for: .milliseconds(20))
            }
            return text
        }

        var baseURL: String? {
            guard let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }) else { return nil }
            return line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init)
        }

        var setupURL: String? {
            text.split(separator: "\n").first { $0.contains("/setup?token=") }?
                .split(separator: " ").first { $0.contains("/setup?token=") }.map(String.init)
        }

        func stop() async throws {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        }

        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    static func post(_ url: URL, form: [String: String]) async throws -> (Int, URL?) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        request.httpBody = Data(
            form.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&").utf8
        )
        let session = URLSession(configuration: .ephemeral)
        let (_, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http.url)
    }

    @Test func serveLinkWorksOnceAndIsNotPrintedAgain() async throws {
        let dir = try TemporaryDirectory()
        // First start: a link; a second start without an owner: a new link, and the first one is dead.
        let first = try Served(dataDirectory: dir.path)
        _ = try await first.wait(for: "/setup?token=")
        let oldLink = try #require(first.setupURL)
        try await first.stop()

        let second = try Served(dataDirectory: dir.path)
        _ = try await second.wait(for: "/setup?token=")
        let link = try #require(second.setupURL)
        let base = try #require(second.baseURL)
        #expect(link != oldLink)
        #expect(link.hasPrefix(base + "/setup?token="))
        let token = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "token" }?.value)
        let oldToken = try #require(URLComponents(string: oldLink)?.queryItems?.first { $0.name == "token" }?.value)

        let (page, _) = try await URLSession(configuration: .ephemeral).data(from: URL(string: link)!)
        #expect(String(decoding: page, as: UTF8.self).contains("Set the owner password"))
        let setup = URL(string: base + "/setup")!
        let password = "a long enough password"
        let (stale, _) = try await Self.post(setup, form: ["token": oldToken, "password": password, "confirm": password])
        #expect(stale == 404)
        // Success redirects to the Calls panel (whatever it answers there).
        let (_, landed) = try await Self.post(setup, form: ["token": token, "password": password, "confirm": password])
        #expect(landed?.path == "/calls")
        let (again, _) = try await Self.post(setup, form: ["token": token, "password": password, "confirm": password])
        #expect(again == 410)
        try await second.stop()

        // With an owner, the start says where to log in instead, and no setup link is printed: both
        // are decided by the same step, so once the login line is there the decision was made.
        let third = try Served(dataDirectory: dir.path)
        let output = try await third.wait(for: "crow-calls owner login: ")
        #expect(output.contains("listening on"), "\(output)")
        let thirdBase = try #require(third.baseURL)
        #expect(output.contains("crow-calls owner login: \(thirdBase)/login"), "\(output)")
        #expect(third.setupURL == nil)
        #expect(!output.contains("/setup?token="))
        try await third.stop()
    }
}
