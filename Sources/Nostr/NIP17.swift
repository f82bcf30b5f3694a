import Foundation

/// NIP-17 private direct messages: a kind-14 rumor with the receiver in a `p` tag, gift-wrapped (NIP-59)
/// to the receiver. (A client would also wrap a copy to itself; the gateway keeps its own record in the
/// ledger instead.)
public enum NIP17 {
    public static let messageKind = 14

    /// The gift wrap that carries `text` from `sender` to `receiver`.
    public static func message(
        _ text: String,
        from sender: NostrSecretKey,
        to receiver: NostrPublicKey,
        now: Int64 = NostrTime.now()
    ) throws(NIP44.Failure) -> NostrEvent {
        let rumor = NostrEvent.unsigned(
            pubkey: sender.publicKey.hex,
            kind: messageKind,
            tags: [["p", receiver.hex]],
            content: text,
            createdAt: now
        )
        return try NIP59.wrap(rumor, author: sender, recipient: receiver, now: now)
    }
}
