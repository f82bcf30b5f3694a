import Foundation
import Synchronization
import TestSupport
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
        let first = try await ServedGateway(dataDirectory: dir.path)
        _ = try await first.waitFor("/setup?token=")
        let oldLink = try #require(first.setupURL)
        try await first.stop()

        let second = try await ServedGateway(dataDirectory: dir.path)
        _ = try await second.waitFor("/setup?token=")
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
        let third = try await ServedGateway(dataDirectory: dir.path)
        let output = try await third.waitFor("crow-calls owner login: ")
        #expect(output.contains("listening on"), "\(output)")
        let thirdBase = try #require(third.baseURL)
        #expect(output.contains("crow-calls owner login: \(thirdBase)/login"), "\(output)")
        #expect(third.setupURL == nil)
        #expect(!output.contains("/setup?token="))
        try await third.stop()
    }
}
