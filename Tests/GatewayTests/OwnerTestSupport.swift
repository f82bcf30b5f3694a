import CallStore
import Foundation
import GRDB
@testable import Gateway
import HTTPTypes
import HummingbirdTesting
import Ledger
import OwnerStore
import NIOCore
import Testing
import TestSupport

/// A gateway data directory plus a second handle on its ledger file, to draw setup secrets and API tokens
/// and to inspect the owner tables while the real application serves the same file.
final class OwnerHarness: Sendable {
    static let password = "correct horse battery staple"
    /// The live test client sends `Host: localhost`; without a configured gateway URL that is the origin.
    static let origin = "http://localhost"

    let dir: TemporaryDirectory
    let configuration: GatewayConfiguration

    init(_ adjust: (inout GatewayConfiguration) -> Void = { _ in }) throws {
        dir = try TemporaryDirectory()
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.dataDirectory = dir.path
        // The lowest cost the hasher accepts, about 30 times cheaper than the real one: these tests are
        // about everything but the cost, which the tests that are about it set back (`.standard`).
        configuration.ownerPasswordCost = .init(logN: 10, r: 8, p: 1)
        adjust(&configuration)
        self.configuration = configuration
    }

    /// Runs `body` with the owner's records on the same file, closed afterwards.
    func withStore<T>(_ body: (OwnerStore) async throws -> T) async throws -> T {
        let store = OwnerStore(ledger: try CallStore.openLedger(LedgerConfiguration(path: configuration.ledgerPath)))
        defer { try? store.close() }
        return try await body(store)
    }

    /// A fresh setup URL, as `crow-calls serve` prints it on a start without an owner.
    func setupURL() async throws -> String? {
        try await withStore { store in try await ownerSetupURL(owners: store, baseURL: "http://localhost/") }
    }

    func setupSecret() async throws -> String {
        let url = try #require(try await setupURL())
        return try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "token" }?.value)
    }

    func apiToken(label: String? = nil) async throws -> String {
        try await withStore { store in try await store.createOwnerAPIToken(label: label).secret }
    }

    /// Every row of a table, as text, for looking for secrets.
    func dump(_ table: String) async throws -> String {
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: configuration.ledgerPath, configuration: readOnly)
        defer { try? queue.close() }
        return try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { "\($0)" }.joined(separator: "\n")
        }
    }

    /// Completes setup through the real `/setup` form and returns the session cookie's value.
    func setUpOwner(_ client: some TestClientProtocol) async throws -> String {
        let secret = try await setupSecret()
        let response = try await client.execute(
            uri: "/setup",
            method: .post,
            headers: Self.form(origin: Self.origin),
            body: Self.formBody(["token": secret, "password": Self.password, "confirm": Self.password])
        )
        #expect(response.status == .seeOther)
        return try #require(Self.sessionCookie(response))
    }

    // MARK: - Requests

    static func form(origin: String? = nil) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let origin { headers[.origin] = origin }
        return headers
    }

    static func json(cookie: String? = nil, bearer: String? = nil, origin: String? = nil) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let cookie { headers[.cookie] = "crow_session=\(cookie)" }
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        if let origin { headers[.origin] = origin }
        return headers
    }

    static func formBody(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.sorted { $0.key < $1.key }.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
        return ByteBuffer(string: text)
    }

    static func jsonBody(_ value: [String: Any]) throws -> ByteBuffer {
        ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: value))
    }

    /// The value of the `crow_session` cookie a response sets (empty when it clears it).
    static func sessionCookie(_ response: TestResponse) -> String? {
        for header in response.headers[values: .setCookie] where header.hasPrefix("crow_session=") {
            let value = header.dropFirst("crow_session=".count).prefix { $0 != ";" }
            return String(value)
        }
        return nil
    }

    /// The JSON object of a response body; empty (and a recorded issue) when it is not one.
    static func object(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] else {
            Issue.record("the body is not a JSON object: \(String(buffer: response.body))", sourceLocation: sourceLocation)
            return [:]
        }
        return object
    }

    static func errorCode(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        (object(response, sourceLocation: sourceLocation)["error"] as? [String: Any])?["code"] as? String
    }
}
