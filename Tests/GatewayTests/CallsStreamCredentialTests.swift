import CallStore
import Foundation
import Gateway
import HummingbirdTesting
import OwnerStore
import TestSupport
import Testing

/// The live stream of incoming calls carries join links, so it lasts only as long as the credential
/// that opened it: a revoked API token or a signed-out session ends it at the next check, and no call
/// that arrives afterwards is sent.
/// `.live`: the stream is read over a real connection (`EventStreamClient`) that must stay open.
@Suite struct CallsStreamCredentialTests {
    /// Reads the stream until it ends; returns the names of the events it sent on the way.
    static func eventsUntilTheEnd(_ stream: EventStreamClient, within limit: Duration = .seconds(30)) async throws -> [String]? {
        var seen: [String] = []
        return try await firstWithin(limit) { () -> [String]? in
            // What has arrived, without waiting (`.zero`); the poll waits between rounds.
            while let event = try await stream.next(timeout: .zero) {
                if let name = event.event { seen.append(name) }
            }
            return stream.closed ? seen : nil
        }
    }

    @Test func aRevokedAPITokenEndsItsStream() async throws {
        let harness = try OwnerHarness { $0.streamHeartbeat = .seconds(1) }
        let (token, id) = try await harness.withStore { store in
            let issued = try await store.createOwnerAPIToken(label: "laptop")
            return (issued.secret, try #require(try await store.ownerAPITokenID(secret: issued.secret)))
        }
        let side = try sideStore(harness.configuration)
        defer { try? side.close() }
        let app = try await buildApplication(harness.configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let stream = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: ["Authorization": "Bearer \(token)"])
            defer { stream.close() }
            #expect(stream.status == 200)
            try await side.receiveInvite(NotificationsTests.invite(1))
            #expect(try await stream.nextEvent()?.event == "received")

            // `crow-calls api-token revoke`, from another process's handle on the same file.
            #expect(try await harness.withStore { store in try await store.revokeOwnerAPIToken(id: id) })
            try await side.receiveInvite(NotificationsTests.invite(2))
            let sent = try #require(try await Self.eventsUntilTheEnd(stream), "the stream outlived its revoked token")
            #expect(!sent.contains("received"), "\(sent)")
            // And it cannot be opened again.
            let again = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: ["Authorization": "Bearer \(token)"])
            defer { again.close() }
            #expect(again.status == 401)
        }
    }

    @Test func signingOutEndsTheSessionsStream() async throws {
        let harness = try OwnerHarness { $0.streamHeartbeat = .seconds(1) }
        let side = try sideStore(harness.configuration)
        defer { try? side.close() }
        let app = try await buildApplication(harness.configuration)
        try await app.liveTest { client in
            let port = try #require(client.port)
            let cookie = try await harness.setUpOwner(client)
            let stream = try await EventStreamClient(port: port, path: "/api/calls/stream", headers: ["Cookie": "crow_session=\(cookie)"])
            defer { stream.close() }
            #expect(stream.status == 200)
            #expect(try await stream.next()?.comments.contains("connected") == true)

            var headers = OwnerHarness.form(origin: OwnerHarness.origin)
            headers[.cookie] = "crow_session=\(cookie)"
            try await client.execute(uri: "/logout", method: .post, headers: headers, body: OwnerHarness.formBody([:])) {
                #expect($0.status == .seeOther)
            }
            try await side.receiveInvite(NotificationsTests.invite(3))
            let sent = try #require(try await Self.eventsUntilTheEnd(stream), "the stream outlived its session")
            #expect(!sent.contains("received"), "\(sent)")
        }
    }
}
