/// The receive rules for events that may carry a call invite or an answer to one, as a pure function:
/// relays, the `/nostr` inbox and tests all hand events here, and only an `Opened` result may reach the
/// ledger. Every refusal has a reason, for metrics and the debug log (which never shows content).
///
/// Order: size and shape; the event's time; addressed to us; id and signature; for kind 4, the sender
/// must be a contact before anything is decrypted; decryption; for gift wraps, the seal's signer must
/// be the rumor's author and a contact, and the rumor's time is checked as the event's was; then the
/// envelope's own rules (the join URL among them). Duplicates are the caller's to drop, by event id,
/// against what it has persisted.
///
/// Times are the sender's word, so they are bounded before anything else uses them: an event or rumor
/// dated more than `maxAge` ago or more than `maxAhead` from now is refused (`bad_time`). Every time
/// that gets through is a small number of seconds, so the gateway's arithmetic on it (milliseconds,
/// ring windows) cannot overflow.
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
        case badTime = "bad_time"
        /// The seal inside a gift wrap does not verify.
        case badSeal = "bad_seal"
        /// The rumor inside a gift wrap carries a time outside the window.
        case badRumorTime = "bad_rumor_time"
        /// The receiver has spent its budget of signature and decryption work for now (`admitWork`).
        case busy

        /// Whether the event's own id and signature were found good before this drop: such an event
        /// will be dropped the same way every time it comes again, so its id can be remembered and the
        /// work skipped. (Before the signature holds, an id proves nothing: remembering it would let
        /// anyone block a real event by sending junk under its id first.)
        public var isAfterSignature: Bool {
            switch self {
            case .stranger, .cannotDecrypt, .authorMismatch, .badEnvelope, .badJoinURL, .badSeal, .badRumorTime: return true
            case .tooLarge, .unsupportedKind, .notForUs, .badSignature, .badTime, .busy: return false
            }
        }
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

    /// The oldest time accepted, in seconds before now: 31 days (gift wraps are back-dated up to two,
    /// and a relay may hand over what it kept while the gateway was down).
    public static let maxAge: Int64 = 31 * 86_400
    /// The furthest time ahead accepted, in seconds: 15 minutes of clock skew.
    public static let maxAhead: Int64 = 15 * 60

    /// Whether `time` (unix seconds, as a sender gave it) falls in the window around `now`.
    public static func isPlausible(_ time: Int64, now: Int64) -> Bool {
        time >= now - maxAge && time <= now + maxAhead
    }

    /// `isContact` is asked only once the event passed every check that needs no lookup, so junk costs
    /// no I/O.
    /// `now` is the receiver's clock in unix seconds. `admitWork` is asked once, when the event has
    /// passed every check that costs nothing and the signature and decryption work would begin; a
    /// `false` drops it as `busy`.
    public static func open(
        _ event: NostrEvent,
        me: NostrSecretKey,
        now: Int64 = NostrTime.now(),
        admitWork: () -> Bool = { true },
        isContact: (String) async -> Bool
    ) async -> Result<Opened, Drop> {
        guard event.content.utf8.count <= maxContent, event.tags.count <= 64 else { return .failure(.tooLarge) }
        guard event.kind == 4 || event.kind == NIP59.giftWrapKind else { return .failure(.unsupportedKind) }
        guard isPlausible(event.createdAt, now: now) else { return .failure(.badTime) }
        guard event.tagValues("p").contains(me.publicKey.hex) else { return .failure(.notForUs) }
        guard admitWork() else { return .failure(.busy) }
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
                rumor = try NIP59.unwrap(event, recipient: me, wrapVerified: true).rumor
            } catch .authorMismatch {
                return .failure(.authorMismatch)
            } catch .badSignature {
                return .failure(.badSeal)
            } catch {
                return .failure(.cannotDecrypt)
            }
            guard rumor.kind == NIP17.messageKind, let author = NostrPublicKey(rumor.pubkey) else { return .failure(.badEnvelope) }
            guard await isContact(author.hex) else { return .failure(.stranger) }
            guard isPlausible(rumor.createdAt, now: now) else { return .failure(.badRumorTime) }
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
