public import Foundation

/// Every event of the catalogue (docs/EVENTS.md), plus `unknown` for types a newer build wrote.
public enum LedgerEvent: Sendable, Hashable {
    case roomCreated(RoomCreated)
    case roomEnded(RoomEnded)
    case peerJoined(PeerJoined)
    case peerLeft(PeerLeft)
    case tokenIssued(TokenIssued)
    case tokenUsed(TokenUsed)
    case tokenRevoked(TokenRevoked)
    case inviteRequested(InviteRequested)
    case inviteSent(InviteSent)
    case inviteFailed(InviteFailed)
    case inviteReceived(InviteReceived)
    case inviteDismissed(InviteDismissed)
    case inviteAccepted(InviteAccepted)
    case inviteDeclined(InviteDeclined)
    case inviteCancelled(InviteCancelled)
    /// A type this build does not know. Projections skip it; its stored JSON is kept as it is.
    case unknown(type: String)

    public var type: String {
        switch self {
        case .roomCreated: return RoomCreated.eventType
        case .roomEnded: return RoomEnded.eventType
        case .peerJoined: return PeerJoined.eventType
        case .peerLeft: return PeerLeft.eventType
        case .tokenIssued: return TokenIssued.eventType
        case .tokenUsed: return TokenUsed.eventType
        case .tokenRevoked: return TokenRevoked.eventType
        case .inviteRequested: return InviteRequested.eventType
        case .inviteSent: return InviteSent.eventType
        case .inviteFailed: return InviteFailed.eventType
        case .inviteReceived: return InviteReceived.eventType
        case .inviteDismissed: return InviteDismissed.eventType
        case .inviteAccepted: return InviteAccepted.eventType
        case .inviteDeclined: return InviteDeclined.eventType
        case .inviteCancelled: return InviteCancelled.eventType
        case .unknown(let type): return type
        }
    }

    /// The JSON text stored in `events.data`: sorted keys, unescaped slashes, plus `"v"`.
    public func encodedData() throws -> String {
        try PayloadWriter.json(of: self) ?? encodedByJSONEncoder()
    }

    /// The same text through `JSONEncoder`: the reference `PayloadWriter` is tested against, and the way
    /// the payloads with arrays are written.
    func encodedByJSONEncoder() throws -> String {
        switch self {
        case .roomCreated(let payload): return try Self.encode(payload)
        case .roomEnded(let payload): return try Self.encode(payload)
        case .peerJoined(let payload): return try Self.encode(payload)
        case .peerLeft(let payload): return try Self.encode(payload)
        case .tokenIssued(let payload): return try Self.encode(payload)
        case .tokenUsed(let payload): return try Self.encode(payload)
        case .tokenRevoked(let payload): return try Self.encode(payload)
        case .inviteRequested(let payload): return try Self.encode(payload)
        case .inviteSent(let payload): return try Self.encode(payload)
        case .inviteFailed(let payload): return try Self.encode(payload)
        case .inviteReceived(let payload): return try Self.encode(payload)
        case .inviteDismissed(let payload): return try Self.encode(payload)
        case .inviteAccepted(let payload): return try Self.encode(payload)
        case .inviteDeclined(let payload): return try Self.encode(payload)
        case .inviteCancelled(let payload): return try Self.encode(payload)
        case .unknown(let type):
            throw LedgerError.invalidAppend("cannot write an event of unknown type \(type)")
        }
    }

    /// Decodes stored JSON. Unknown types become `.unknown`; a known type with bad JSON throws.
    public static func decode(type: String, data: Data) throws -> LedgerEvent {
        guard let decode = decoders[type] else { return .unknown(type: type) }
        return try decode(data)
    }

    private static let decoders: [String: @Sendable (Data) throws -> LedgerEvent] = [
        RoomCreated.eventType: { .roomCreated(try decodePayload($0)) },
        RoomEnded.eventType: { .roomEnded(try decodePayload($0)) },
        PeerJoined.eventType: { .peerJoined(try decodePayload($0)) },
        PeerLeft.eventType: { .peerLeft(try decodePayload($0)) },
        TokenIssued.eventType: { .tokenIssued(try decodePayload($0)) },
        TokenUsed.eventType: { .tokenUsed(try decodePayload($0)) },
        TokenRevoked.eventType: { .tokenRevoked(try decodePayload($0)) },
        InviteRequested.eventType: { .inviteRequested(try decodePayload($0)) },
        InviteSent.eventType: { .inviteSent(try decodePayload($0)) },
        InviteFailed.eventType: { .inviteFailed(try decodePayload($0)) },
        InviteReceived.eventType: { .inviteReceived(try decodePayload($0)) },
        InviteDismissed.eventType: { .inviteDismissed(try decodePayload($0)) },
        InviteAccepted.eventType: { .inviteAccepted(try decodePayload($0)) },
        InviteDeclined.eventType: { .inviteDeclined(try decodePayload($0)) },
        InviteCancelled.eventType: { .inviteCancelled(try decodePayload($0)) },
    ]

    /// Every type this build can read and write.
    public static var knownTypes: [String] { decoders.keys.sorted() }

    private static func encode<P: EventPayload>(_ payload: P) throws -> String {
        let data = try jsonEncoder.encode(Versioned(payload: payload))
        return String(decoding: data, as: UTF8.self)
    }

    private static func decodePayload<P: EventPayload>(_ data: Data) throws -> P {
        try jsonDecoder.decode(P.self, from: data)
    }

    // Both coders are Sendable and only configured here, so one instance serves every thread.
    private static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private static let jsonDecoder = JSONDecoder()
}

/// Writes a payload's fields plus its schema version `"v"` into one JSON object.
private struct Versioned<P: EventPayload>: Encodable {
    let payload: P

    private enum Key: String, CodingKey { case v }

    func encode(to encoder: any Encoder) throws {
        try payload.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(P.schemaVersion, forKey: .v)
    }
}
