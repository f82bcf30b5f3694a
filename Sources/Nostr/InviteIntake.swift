/// The receive rules for events that may carry a call invite or an answer to one, as a pure function:
/// relays, the `/nostr` inbox and tests all hand events here, and only an `Opened` result may reach the
/// ledger. Every refusal has a reason, for metrics and the debug log (which never shows content).
///
/// Order: size and shape; addressed to us; id and signature; for kind 4, the sender must be a contact
/// before anything is decrypted; decryption; for gift wraps, the seal's signer must be the rumor's
/// author and a contact; then the envelope's own rules (the join URL among them). Duplicates are the
/// caller's to drop, by event id, against what it has persisted.
public enum InviteIntake {
    public enum Drop: String, Error, Sendable, CaseIterable {
        case tooLarge = "too_large"
        case unsupportedKind = "unsupported_kind"
        case notForUs = "not_for_us"
        case badSignature = "bad_signature"
        case stranger
        case cannotDecrypt = "cannot_decrypt"
        case authorMismatch = "author_mismatch"
        case badEnvelope = "bad_envelope"
        case badJoinURL = "bad_join_url"
    }

    public struct Opened: Sendable, Hashable {
        /// The event that arrived (the gift wrap, for NIP-17): its id is the one to remember.
        public var eventId: String
        public var sender: NostrPublicKey
        public var envelope: CrowEnvelope
        public var wire: InviteWire
        /// When the sender says it wrote the message (the rumor's time for NIP-17), unix seconds.
        public var sentAt: Int64
    }

    /// Content above this is refused before any work (a gift-wrapped invite is about 2 KiB).
    public static let maxContent = 32_768

    /// `isContact` is asked only once the event passed every check that needs no lookup, so junk costs
    /// no I/O.
    public static func open(_ event: NostrEvent, me: NostrSecretKey, isContact: (String) async -> Bool) async -> Result<Opened, Drop> {
        guard event.content.utf8.count <= maxContent, event.tags.count <= 64 else { return .failure(.tooLarge) }
        guard event.kind == 4 || event.kind == NIP59.giftWrapKind else { return .failure(.unsupportedKind) }
        guard event.tagValues("p").contains(me.publicKey.hex) else { return .failure(.notForUs) }
        guard event.isValid else { return .failure(.badSignature) }
        let sender: NostrPublicKey
        let text: String
        let wire: InviteWire
        var sentAt = event.createdAt
        if event.kind == 4 {
            guard let author = NostrPublicKey(event.pubkey), await isContact(author.hex) else { return .failure(.stranger) }
            sender = author
            if event.content.contains("?iv=") {
                guard let plain = NIP04.decrypt(event.content, secret: me, peer: author) else { return .failure(.cannotDecrypt) }
                (text, wire) = (plain, .nip04)
            } else {
                guard let key = try? NIP44.conversationKey(me, author), let plain = try? NIP44.decrypt(event.content, conversationKey: key) else {
                    return .failure(.cannotDecrypt)
                }
                (text, wire) = (plain, .crow)
            }
        } else {
            let rumor: NostrEvent
            do {
                rumor = try NIP59.unwrap(event, recipient: me).rumor
            } catch .authorMismatch {
                return .failure(.authorMismatch)
            } catch .badSignature {
                return .failure(.badSignature)
            } catch {
                return .failure(.cannotDecrypt)
            }
            guard rumor.kind == NIP17.messageKind, let author = NostrPublicKey(rumor.pubkey) else { return .failure(.badEnvelope) }
            guard await isContact(author.hex) else { return .failure(.stranger) }
            (sender, text, wire, sentAt) = (author, rumor.content, .nip17, rumor.createdAt)
        }
        do {
            let envelope = try CrowEnvelope.parse(text)
            return .success(Opened(eventId: event.id, sender: sender, envelope: envelope, wire: wire, sentAt: sentAt))
        } catch .badJoinURL {
            return .failure(.badJoinURL)
        } catch {
            return .failure(.badEnvelope)
        }
    }
}
