import CallStore
import Foundation
import Gateway
import HummingbirdTesting
import Ledger
import Logging
import Nostr
import OwnerStore
import Projections
import Synchronization
import TestSupport
import Testing
import WSClient

/// `/nostr` on a live gateway, with the events a contact could send.
/// `.live`: `/nostr` is a WebSocket, so the frames need a real socket.
@Suite struct NostrInboxTests {
    /// Publishes each event on one `/nostr` socket and returns the relay's answer to each, in order.
    static func publish(_ events: [NostrEvent], port: Int) async throws -> [RelayMessage] {
        let answers = Mutex<[RelayMessage]>([])
        var logger = Logger(label: "test-nostr-client")
        logger.logLevel = .critical
        _ = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/nostr", logger: logger) { inbound, outbound, _ in
            for event in events {
                try await outbound.write(.text(RelayMessage.publish(event).json()))
            }
            for try await message in inbound.messages(maxSize: 1 << 16) {
                guard case .text(let text) = message, let answer = RelayMessage.parse(text, fromRelay: true) else { continue }
                let count = answers.withLock { $0.append(answer); return $0.count }
                if count == events.count { break }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        return answers.withLock { $0 }
    }

    /// One signed event from a contact, dated 9.3e15 seconds, used to overflow the milliseconds and stop
    /// the gateway (and a relay would hand it over again after every restart). It is refused with its
    /// reason, and the next invite from the same contact rings as usual.
    static func invite(_ room: String) -> CrowEnvelope {
        .roomInvite(.init(roomCode: room, joinURL: "https://ada.example/calls?room=\(room)&token=t", hostName: "Ada"))
    }

    @Test func anAbsurdTimeFromAContactIsRefusedAndTheGatewayGoesOn() async throws {
        let dir = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let app = try await buildApplication(configuration)
        let me = try NostrIdentity.loadOrCreate(at: configuration.nostrKeyPath).key
        let ada = NostrSecretKey.generate()
        let owners = OwnerStore(ledger: try CallStore.openLedger(LedgerConfiguration(path: configuration.ledgerPath)))
        defer { try? owners.close() }
        _ = try await owners.addContact(try ContactDraft(name: "Ada", pubkey: ada.publicKey.hex))
        let side = try sideStore(configuration)
        defer { try? side.close() }

        try await app.liveTest { client in
            let port = try #require(client.port)
            let hostile = try InviteWire.event(Self.invite("absurd1"), wire: .crow, from: ada, to: me.publicKey, now: 9_300_000_000_000_000)
            let rumor = NostrEvent.unsigned(
                pubkey: ada.publicKey.hex, kind: NIP17.messageKind, tags: [["p", me.publicKey.hex]],
                content: Self.invite("absurd2").json(), createdAt: 9_300_000_000_000_000
            )
            let wrapped = try NIP59.wrap(rumor, author: ada, recipient: me.publicKey)
            let good = try InviteWire.event(Self.invite("goodroom1"), wire: .crow, from: ada, to: me.publicKey)
            let answers = try await Self.publish([hostile, wrapped, good], port: port)
            #expect(answers == [
                .ok(eventId: hostile.id, accepted: false, message: "blocked: bad_time"),
                .ok(eventId: wrapped.id, accepted: false, message: "blocked: bad_rumor_time"),
                .ok(eventId: good.id, accepted: true, message: ""),
            ])
            let calls = try await side.read { db in try Queries.recentIncoming(now: LedgerClock.systemMilliseconds(), in: db) }
            #expect(calls.map(\.roomCode) == ["goodroom1"])
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"reason="bad_time"} 1"#) && text.contains(#"reason="bad_rumor_time"} 1"#))
            }
        }
    }
}
