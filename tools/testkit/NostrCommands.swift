import ArgumentParser
import Foundation
import Invites
import Nostr

/// `crow-testkit nostr-invite`: an invite event from this key to a recipient, as the gateway's outbox
/// will build it; prints the event JSON. For interop tests against an independent implementation.
struct NostrInviteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nostr-invite", abstract: "Build an invite event (JSON on stdout).")

    @Option(name: .customLong("key-file"), help: "The sender's key file (made when missing).") var keyFile: String
    @Option(help: "The recipient's public key (hex or npub).") var to: String
    @Option(help: "crow or nip17.") var wire: String = "nip17"
    @Option(help: "room_invite, room_closed, call_declined, call_cancelled or call_busy.") var subtype: String = "room_invite"
    @Option(help: "The room code.") var room: String
    @Option(name: .customLong("join-url"), help: "The join URL.") var joinURL: String = ""
    @Option(name: .customLong("host-name"), help: "The host's name.") var hostName: String = "Host"

    func run() async throws {
        let sender = try NostrIdentity.loadOrCreate(at: keyFile).key
        guard let recipient = NostrPublicKey(to) else { throw ValidationError("--to is not a public key") }
        guard let wire = InviteWire(rawValue: wire), wire != .nip04 else { throw ValidationError("--wire is crow or nip17") }
        let envelope: CrowEnvelope
        switch subtype {
        case "room_invite": envelope = .roomInvite(.init(roomCode: room, joinURL: joinURL, hostName: hostName))
        case "room_closed": envelope = .roomClosed(roomCode: room)
        case "call_declined": envelope = .callDeclined(roomCode: room)
        case "call_cancelled": envelope = .callCancelled(roomCode: room)
        case "call_busy": envelope = .callBusy(roomCode: room)
        default: throw ValidationError("unknown --subtype")
        }
        print(try InviteWire.event(envelope, wire: wire, from: sender, to: recipient).json())
    }
}

/// `crow-testkit nostr-open`: runs the gateway's receive rules on events read from stdin (one JSON per
/// line) and prints one JSON line per event: `{"ok":true,"wire","sender","envelope"}` or
/// `{"ok":false,"drop"}`.
struct NostrOpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nostr-open", abstract: "Apply the receive rules to events on stdin.")

    @Option(name: .customLong("key-file"), help: "The recipient's key file (made when missing).") var keyFile: String
    @Option(help: "A contact's public key (hex or npub); repeat for more.") var contact: [String] = []

    func run() async throws {
        let me = try NostrIdentity.loadOrCreate(at: keyFile).key
        let contacts = Set(contact.compactMap { NostrPublicKey($0)?.hex })
        while let line = readLine(strippingNewline: true) {
            guard !line.isEmpty else { continue }
            var answer: [String: Any] = [:]
            if let event = NostrEvent.parse(line) {
                switch await InviteIntake.open(event, me: me, isContact: { contacts.contains($0) }) {
                case .success(let opened):
                    answer = ["ok": true, "wire": opened.wire.rawValue, "sender": opened.sender.hex, "envelope": opened.envelope.json(), "eventId": opened.eventId]
                case .failure(let drop):
                    answer = ["ok": false, "drop": drop.rawValue]
                }
            } else {
                answer = ["ok": false, "drop": "not_an_event"]
            }
            let data = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// `crow-testkit nostr-publish --relay URL...`: publishes the event on stdin to each relay with the
/// gateway's `RelayPublisher`; prints one JSON line per relay: `{"relay","accepted","message"}`.
struct NostrPublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nostr-publish", abstract: "Publish the event on stdin to relays.")

    @Option(help: "A relay URL (ws:// or wss://); repeat for more.") var relay: [String]
    @Option(help: "Seconds to wait for each relay's answer.") var timeout: Int = 10

    func run() async throws {
        guard let line = readLine(strippingNewline: true), let event = NostrEvent.parse(line) else {
            throw ValidationError("stdin holds no event")
        }
        let publisher = RelayPublisher(timeout: .seconds(timeout))
        for url in relay {
            let outcome = await publisher.publish(event, to: url)
            let data = try JSONSerialization.data(
                withJSONObject: ["relay": outcome.relay, "accepted": outcome.accepted, "message": outcome.message],
                options: [.sortedKeys, .withoutEscapingSlashes]
            )
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
