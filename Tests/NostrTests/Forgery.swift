import Foundation
@testable import Nostr

/// Hostile input shared by the Nostr tests.
enum Forgery {
    /// A gift wrap to `recipient` whose rumor says it is by `claimed` but whose seal `sealer` signed:
    /// what an impersonator would send.
    static func impersonatingWrap(claimed: NostrSecretKey, sealer: NostrSecretKey, recipient: NostrPublicKey, content: String) throws -> NostrEvent {
        let rumor = NostrEvent.unsigned(pubkey: claimed.publicKey.hex, kind: 14, tags: [["p", recipient.hex]], content: content, createdAt: 1)
        let seal = NostrEvent.signed(
            by: sealer, kind: 13, tags: [],
            content: try NIP44.encrypt(rumor.json(), conversationKey: try NIP44.conversationKey(sealer, recipient))
        )
        let oneTime = NostrSecretKey.generate()
        return NostrEvent.signed(
            by: oneTime, kind: 1059, tags: [["p", recipient.hex]],
            content: try NIP44.encrypt(seal.json(), conversationKey: try NIP44.conversationKey(oneTime, recipient))
        )
    }
}
