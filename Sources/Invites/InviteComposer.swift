public import CallStore
import CrowSecurity
import Decisions
import Foundation
import Ledger
public import Nostr
public import OwnerStore

/// Turns "call this contact" into the invite the outbox will deliver: the Crow envelope with a fresh
/// guest link, signed and encrypted to the contact by the chosen wire, stored in `invite.requested`.
/// The guest token exists only inside the encrypted event; the ledger never holds it in the clear.
public struct InviteComposer: Sendable {
    let identity: NostrSecretKey

    public init(identity: NostrSecretKey) { self.identity = identity }

    public func draft(for contact: ContactRecord, hostName: String, baseURL: String) throws -> CallStore.InviteDraft {
        guard let recipient = NostrPublicKey(contact.pubkey) else {
            throw InviteRefusal.invalidContactKey
        }
        let identity = self.identity
        let hostName = Self.envelopeHostName(hostName)
        let wire: InviteWire = contact.transport == .crow ? .crow : .nip17
        return CallStore.InviteDraft(contactPubkey: contact.pubkey, transport: contact.transport) { roomCode, secret in
            let envelope = CrowEnvelope.roomInvite(
                .init(
                    roomCode: roomCode,
                    joinURL: CallLink.url(base: baseURL, room: roomCode, token: secret),
                    hostName: hostName,
                    hostCrowID: identity.publicKey.npub
                )
            )
            let event = try InviteWire.event(envelope, wire: wire, from: identity, to: recipient)
            return [try JSONDecoder().decode(JSONValue.self, from: Data(event.json().utf8))]
        }
    }

    /// The host name as the envelope carries it: cleaned as a room's host name is, then cut at a
    /// character boundary to the bytes every receiver accepts (`CrowEnvelope.maxHostName`). A name the
    /// receiver would refuse makes an invite that shows "sent" and never rings.
    static func envelopeHostName(_ raw: String) -> String {
        var name = TextRules.displayName(raw, fallback: "Host")
        while name.utf8.count > CrowEnvelope.maxHostName { name.removeLast() }
        return name
    }
}
