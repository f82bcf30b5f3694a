/// How a Crow envelope travels between two Nostr keys.
public enum InviteWire: String, Sendable, Hashable, CaseIterable {
    /// Crow's form: a kind-4 event `p`-tagged to the recipient, content NIP-44 v2. Relays see who
    /// writes to whom, and when.
    case crow
    /// A NIP-17 message in a NIP-59 gift wrap: relays see only a one-time key and the recipient.
    case nip17
    /// A kind-4 event with NIP-04 content: accepted from old clients, never sent.
    case nip04

    /// The event that carries `envelope` from `sender` to `recipient`.
    public static func event(
        _ envelope: CrowEnvelope,
        wire: InviteWire,
        from sender: NostrSecretKey,
        to recipient: NostrPublicKey,
        now: Int64 = NostrTime.now()
    ) throws(NIP44.Failure) -> NostrEvent {
        switch wire {
        case .crow, .nip04:
            let content = try NIP44.encrypt(envelope.json(), conversationKey: try NIP44.conversationKey(sender, recipient))
            return NostrEvent.signed(by: sender, kind: 4, tags: [["p", recipient.hex]], content: content, createdAt: now)
        case .nip17:
            return try NIP17.message(envelope.json(), from: sender, to: recipient, now: now)
        }
    }
}
