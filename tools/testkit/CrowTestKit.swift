import ArgumentParser
import CallStore
import CrowSecurity
import Decisions
import Foundation
import Ledger

/// `crow-testkit`: writes what other parts of the system will write once they exist, so the browser
/// suite, the interop suite and the benchmarks can drive the real code from outside: an incoming call as
/// the Nostr inbox will record it, and the Nostr module's invite building and receive rules. Not
/// installed with the gateway; built with the tests.
@main
struct CrowTestKit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crow-testkit",
        abstract: "Test helpers that append to a Crow Calls ledger (for the browser suite and benchmarks).",
        subcommands: [IncomingCommand.self, NostrInviteCommand.self, NostrOpenCommand.self, NostrPublishCommand.self]
    )
}

/// `crow-testkit incoming --data-dir D --caller NAME [--room CODE] [--join-url URL] [--sender-pubkey HEX]`: appends
/// `invite.received` and prints the invite id. Safe while the gateway runs: the ledger serializes
/// writers, and the gateway's feed picks the event up.
struct IncomingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "incoming", abstract: "Record an incoming call.")

    @Option(name: .long, help: "The gateway's data directory.")
    var dataDir: String = "./data"

    @Option(name: .long, help: "The caller's display name (untrusted text; anything goes).")
    var caller: String = "Grace"

    @Option(name: .long, help: "The caller's room code.")
    var room: String?

    @Option(name: .long, help: "The link the call is joined with.")
    var joinURL: String?

    @Option(name: .long, help: "The caller's public key, 64 hex digits (a contact's, to call them back).")
    var senderPubkey: String = String(repeating: "ab", count: 32)

    @Flag(name: .long, help: "Also print the time the call was recorded (unix ms), after the id.")
    var timed = false

    func run() async throws {
        let store = try CallStore(
            ledger: LedgerConfiguration(path: (dataDir as NSString).appendingPathComponent("ledger.sqlite")),
            settings: CallSettings(clock: LedgerClock.systemMilliseconds)
        )
        defer { try? store.close() }
        let now = LedgerClock.systemMilliseconds()
        let id = Secrets.identifier()
        let room = self.room ?? "their-\(id.prefix(8))"
        try await store.receiveInvite(
            InviteReceived(
                inviteId: id,
                nostrEventId: Secrets.identifier() + Secrets.identifier() + Secrets.identifier() + Secrets.identifier(),
                senderPubkey: senderPubkey,
                senderName: caller,
                room: room,
                joinUrl: joinURL ?? "https://caller.example/calls?room=\(room)&token=t\(id)",
                sentAt: now - 200,
                receivedAt: now
            )
        )
        print(timed ? "\(id) \(now)" : id)
    }
}
