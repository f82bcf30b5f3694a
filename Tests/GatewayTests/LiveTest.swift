import Hummingbird
import HummingbirdTesting

extension ApplicationProtocol {
    /// `test(.live)`, with the test client's connection known to be open before `body` runs.
    /// For tests that need a real socket (WebSockets, a held-open stream, TLS, a client address); plain
    /// request/response tests use `test(.router)`, which calls `buildApplication`'s router directly.
    ///
    /// HummingbirdTesting opens its client's connection in the background, and its shutdown gives up on a
    /// connection still being made. When that connection completes afterwards (a busy machine is slow to
    /// look up `localhost`), nobody ever closes it, and the server's graceful shutdown waits for it for
    /// good: a test that never used the client hung at its very end. One request first settles it.
    func liveTest<Value>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            return try await body(client)
        }
    }
}
