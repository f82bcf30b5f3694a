import Foundation

/// NIP-59 gift wraps: a rumor (an unsigned event) sealed by its author (kind 13, NIP-44 to the
/// recipient) and wrapped by a one-time key (kind 1059, NIP-44 to the recipient, `p`-tagged). Relays see
/// only the one-time key and the recipient; the seal and wrap carry random timestamps up to two days in
/// the past, so the time does not give the message away either.
public enum NIP59 {
    public enum Failure: Error, Sendable, Equatable {
        case notAGiftWrap
        case badSignature
        case cannotDecrypt
        case malformed
        /// The rumor claims an author other than the one who signed the seal: an impersonation.
        case authorMismatch
    }

    public static let sealKind = 13
    public static let giftWrapKind = 1059
    /// Timestamps are pushed back by up to this many seconds.
    public static let maxBackdate: Int64 = 2 * 24 * 60 * 60

    static func backdated(_ now: Int64) -> Int64 {
        now - Int64.random(in: 0...maxBackdate)
    }

    /// Seals and wraps `rumor` (whose `pubkey` must be the author's) for `recipient`.
    public static func wrap(
        _ rumor: NostrEvent,
        author: NostrSecretKey,
        recipient: NostrPublicKey,
        now: Int64 = NostrTime.now()
    ) throws(NIP44.Failure) -> NostrEvent {
        precondition(rumor.pubkey == author.publicKey.hex, "a rumor is wrapped by its own author")
        let seal = NostrEvent.signed(
            by: author,
            kind: sealKind,
            tags: [],
            content: try NIP44.encrypt(rumor.json(), conversationKey: try NIP44.conversationKey(author, recipient)),
            createdAt: backdated(now)
        )
        let oneTime = NostrSecretKey.generate()
        return NostrEvent.signed(
            by: oneTime,
            kind: giftWrapKind,
            tags: [["p", recipient.hex]],
            content: try NIP44.encrypt(seal.json(), conversationKey: try NIP44.conversationKey(oneTime, recipient)),
            createdAt: backdated(now)
        )
    }

    /// Opens a gift wrap addressed to `recipient`: checks both signatures, decrypts both layers, and
    /// checks that the rumor's author is the seal's signer. Returns the rumor and the seal.
    /// `wrapVerified`: the caller has already checked the wrap's id and signature, so it is not done twice.
    public static func unwrap(
        _ wrap: NostrEvent,
        recipient: NostrSecretKey,
        wrapVerified: Bool = false
    ) throws(Failure) -> (rumor: NostrEvent, seal: NostrEvent) {
        guard wrap.kind == giftWrapKind else { throw .notAGiftWrap }
        guard wrapVerified || wrap.isValid else { throw .badSignature }
        guard let wrapper = NostrPublicKey(wrap.pubkey),
            let sealText = try? NIP44.decrypt(wrap.content, conversationKey: try NIP44.conversationKey(recipient, wrapper))
        else { throw .cannotDecrypt }
        guard let seal = NostrEvent.parse(sealText), seal.kind == sealKind else { throw .malformed }
        guard seal.isValid else { throw .badSignature }
        guard let sealer = NostrPublicKey(seal.pubkey),
            let rumorText = try? NIP44.decrypt(seal.content, conversationKey: try NIP44.conversationKey(recipient, sealer))
        else { throw .cannotDecrypt }
        guard let rumor = NostrEvent.parse(rumorText) else { throw .malformed }
        guard rumor.pubkey == seal.pubkey else { throw .authorMismatch }
        // A rumor's id is optional; when present it must be the real one.
        if !rumor.id.isEmpty, Hex.decode(rumor.id, count: 32) != rumor.computedID() { throw .malformed }
        return (rumor, seal)
    }
}
