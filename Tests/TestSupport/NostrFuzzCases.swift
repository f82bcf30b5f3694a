import Foundation
public import Nostr

/// SplitMix64: a small generator whose sequence is fixed by its seed, so that a fuzz run can be
/// replayed exactly from the seed it prints. (Written here rather than borrowed, so the fuzzer's
/// cases never change because some other module's generator did.)
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// SplitMix64's finalizer: spreads every bit of `value` over the result.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0). Modulo bias is irrelevant here, determinism is not.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    mutating func within(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}

/// A deterministic generator of everything a contact or a stranger can send to the gateway's Nostr
/// inbox: relay-message texts, events and gift wraps built like real invites and then broken, and
/// valid envelopes carrying hostile payloads. Case `i` of seed `s` is always the same case (each case
/// draws from its own generator, derived from `s` and `i`), so a failure is replayed from the two
/// numbers alone: `IntakeFuzzer(seed: s, now: n).eventCase(i)`.
///
/// Each case says what the receive rules must do with it (`Expectation`): an unmutated invite from the
/// contact must open, a case broken in a way that matters must be dropped (with one of the reasons
/// listed, when the reason is certain), and a case whose outcome is policy rather than safety (a
/// base64 quirk, an odd but harmless field) may go either way. Used by `IntakeFuzzTests` (against
/// `InviteIntake` and `RelayMessage`) and `NostrInboxFuzzTests` (against a live `/nostr`).
public struct IntakeFuzzer: Sendable {
    /// What `InviteIntake.open` must answer.
    public enum Expectation: Sendable, Equatable, CustomStringConvertible {
        /// A valid invite or answer from the contact, or one changed in a way that keeps it valid.
        case opens
        /// Refused; with one of these reasons unless the set is empty.
        case drops(Set<InviteIntake.Drop>)
        /// Either is fine: the input is odd but not dangerous, or its fate is a matter of policy.
        case either

        public func admits(_ result: Result<InviteIntake.Opened, InviteIntake.Drop>) -> Bool {
            switch (self, result) {
            case (.either, _), (.opens, .success): return true
            case (.opens, .failure), (.drops, .success): return false
            case (.drops(let reasons), .failure(let drop)): return reasons.isEmpty || reasons.contains(drop)
            }
        }

        public var mustDrop: Bool { if case .drops = self { true } else { false } }

        public var description: String {
            switch self {
            case .opens: return "opens"
            case .either: return "either"
            case .drops(let reasons): return reasons.isEmpty ? "drops" : "drops(\(reasons.map(\.rawValue).sorted().joined(separator: "|")))"
            }
        }
    }

    /// An event for `InviteIntake.open`.
    public struct EventCase: Sendable, CustomStringConvertible {
        public var index: Int
        /// What was done to it, e.g. `nip17/seal.rumor-author-differs`.
        public var label: String
        public var event: NostrEvent
        public var expectation: Expectation

        public var description: String { "#\(index) \(label) (expect \(expectation))" }
    }

    /// What `RelayMessage.parse` must answer.
    public enum TextExpectation: Sendable, Equatable, CustomStringConvertible {
        case message(RelayMessage)
        case parses
        case rejected
        case either

        public func admits(_ parsed: RelayMessage?) -> Bool {
            switch self {
            case .either: return true
            case .parses: return parsed != nil
            case .rejected: return parsed == nil
            case .message(let expected): return parsed == expected
            }
        }

        public var description: String {
            switch self {
            case .message: return "message"
            case .parses: return "parses"
            case .rejected: return "rejected"
            case .either: return "either"
            }
        }
    }

    /// A text for `RelayMessage.parse(_:fromRelay:)`.
    public struct TextCase: Sendable, CustomStringConvertible {
        public var index: Int
        public var label: String
        public var text: String
        public var fromRelay: Bool
        public var expectation: TextExpectation
        /// Unmutated valid `EVENT` texts: the event inside must also open.
        public var eventOpens: Bool

        public var description: String {
            "#\(index) \(label) fromRelay=\(fromRelay) (expect \(expectation)), \(text.utf8.count) bytes: \(text.prefix(160).debugDescription)"
        }
    }

    /// One WebSocket message for a live `/nostr`.
    public enum Frame: Sendable {
        case text(String)
        case binary([UInt8])
        /// A text frame whose payload need not be UTF-8.
        case rawText([UInt8])

        public var byteCount: Int {
            switch self {
            case .text(let text): return text.utf8.count
            case .binary(let bytes), .rawText(let bytes): return bytes.count
            }
        }
    }

    public struct FrameCase: Sendable, CustomStringConvertible {
        public var index: Int
        public var label: String
        public var frame: Frame
        /// For frames carrying an event case: what the receive rules must do with it.
        public var expectation: Expectation?

        public var description: String { "#\(index) \(label) (\(frame.byteCount) bytes)" }
    }

    public let seed: UInt64
    /// The receiver's clock, unix seconds: every time in the cases is placed around it.
    public let now: Int64
    /// How far past the window's future edge a time "just too far ahead" is: 1 second against a fixed
    /// clock, more against a live gateway whose clock moves on while the cases are sent.
    public let clockSlack: Int64
    /// The gateway's key (the recipient).
    public let me: NostrSecretKey
    /// A key `isContact` says yes to.
    public let contact: NostrSecretKey
    /// A key it says no to.
    public let stranger: NostrSecretKey
    private let contactKey: [UInt8]
    private let strangerKey: [UInt8]
    private var bases: [Int: Base] = [:]
    private var nextIndex = 0

    /// `me` and `contact` default to keys derived from the seed; a live test passes the gateway's key
    /// and a contact it has added.
    public init(seed: UInt64, now: Int64, clockSlack: Int64 = 1, me: NostrSecretKey? = nil, contact: NostrSecretKey? = nil) {
        self.seed = seed
        self.now = now
        self.clockSlack = max(1, clockSlack)
        var random = FuzzRandom(seed: FuzzRandom.mix(seed ^ 0x6B65_7973))
        self.me = me ?? Self.key(&random)
        self.contact = contact ?? Self.key(&random)
        stranger = Self.key(&random)
        contactKey = (try? NIP44.conversationKey(self.me, self.contact.publicKey)) ?? []
        strangerKey = (try? NIP44.conversationKey(self.me, stranger.publicKey)) ?? []
    }

    /// Whether `hex` is the contact (for `isContact`).
    public func isContact(_ hex: String) -> Bool { hex == contact.publicKey.hex }

    // MARK: - Sequential use

    /// The next event case.
    public mutating func nextEvent() -> EventCase {
        defer { nextIndex += 1 }
        return eventCase(nextIndex)
    }

    /// The next relay-message text.
    public mutating func nextText() -> TextCase {
        defer { nextIndex += 1 }
        return textCase(nextIndex)
    }

    /// The next WebSocket frame, at most `maxBytes` long.
    public mutating func nextFrame(maxBytes: Int) -> FrameCase {
        defer { nextIndex += 1 }
        return frameCase(nextIndex, maxBytes: maxBytes)
    }

    private func caseRandom(_ index: Int, stream: UInt64) -> FuzzRandom {
        FuzzRandom(seed: FuzzRandom.mix(seed &+ stream) ^ FuzzRandom.mix(UInt64(truncatingIfNeeded: index) &+ 0x5851_F42D_4C95_7F2D))
    }

    // MARK: - Keys, signatures, encryption

    static func key(_ random: inout FuzzRandom) -> NostrSecretKey {
        while true {
            if let key = NostrSecretKey(bytes: random.bytes(32)) { return key }
        }
    }

    /// `event` with `author`'s pubkey, id and signature (deterministic: the BIP-340 auxiliary bytes come
    /// from `random`).
    static func signed(_ event: NostrEvent, by author: NostrSecretKey, _ random: inout FuzzRandom) -> NostrEvent {
        var event = event
        event.pubkey = author.publicKey.hex
        let id = event.computedID()
        event.id = Hex.encode(id)
        event.sig = Hex.encode(author.sign(id, auxiliary: random.bytes(32)))
        return event
    }

    /// The same fields signed again by `author`, so that a mutation gets past the signature check.
    static func resigned(_ event: NostrEvent, by author: NostrSecretKey, _ random: inout FuzzRandom) -> NostrEvent {
        var copy = event
        let pubkey = copy.pubkey
        copy = signed(copy, by: author, &random)
        // A mutated pubkey stays mutated (and so the signature fails); otherwise it is the author's.
        if pubkey != author.publicKey.hex, !pubkey.isEmpty { copy.pubkey = pubkey }
        return copy
    }

    private func conversation(_ secret: NostrSecretKey, _ peer: NostrPublicKey) -> [UInt8] {
        if secret === contact && peer == me.publicKey || secret === me && peer == contact.publicKey { return contactKey }
        if secret === stranger && peer == me.publicKey || secret === me && peer == stranger.publicKey { return strangerKey }
        return (try? NIP44.conversationKey(secret, peer)) ?? []
    }

    private static func encrypt(_ text: String, _ key: [UInt8], _ random: inout FuzzRandom) -> String? {
        try? NIP44.encrypt(text, conversationKey: key, nonce: random.bytes(32))
    }

    // MARK: - Envelopes

    static let roomCodes = ["avfrmh45xpr3", "r1", "Room_42-x", String(repeating: "z", count: 64)]

    static func envelope(_ selector: Int) -> CrowEnvelope {
        let code = roomCodes[selector % roomCodes.count]
        switch selector % 7 {
        case 0: return .roomInvite(.init(roomCode: code, joinURL: "https://ada.example/calls?room=\(code)&token=t", hostName: "Ada"))
        case 1: return .roomInvite(.init(roomCode: code, joinURL: "http://127.0.0.1:8444/calls?room=\(code)", hostName: "Ada 🐦‍⬛", hostCrowID: "crow-1"))
        case 2: return .roomClosed(roomCode: code)
        case 3: return .callDeclined(roomCode: code)
        case 4: return .callCancelled(roomCode: code)
        case 5: return .callBusy(roomCode: code)
        default: return .roomInvite(.init(roomCode: code, joinURL: "http://box.tail1234.ts.net/calls?room=\(code)", hostName: String(repeating: "é", count: 128)))
        }
    }

    /// A hostile plaintext for an otherwise valid transport, and what the envelope rules must do with it.
    static func payload(_ random: inout FuzzRandom) -> (label: String, text: String, expectation: Expectation) {
        let drops = Expectation.drops([.badEnvelope])
        let badURL = Expectation.drops([.badJoinURL])
        func envelope(_ fields: [String: String], subtype: String = "\"room_invite\"", type: String = "\"crow_social\"", version: String = "1", extra: String = "") -> String {
            let payload = fields.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\($0.value)" }.joined(separator: ",")
            return "{\"type\":\(type),\"version\":\(version),\"subtype\":\(subtype),\"payload\":{\(payload)}\(extra)}"
        }
        let base: [String: String] = [
            "room_code": quoted("r1"), "join_url": quoted("https://ada.example/calls?room=r1"), "host_name": quoted("Ada"),
        ]
        func with(_ key: String, _ value: String?) -> [String: String] {
            var fields = base
            fields[key] = value
            return fields
        }
        switch random.below(12) {
        case 0:
            let text = random.pick(["", " ", "null", "[]", "1", "\"crow_social\"", "{", "{}", "{\"type\":\"crow_social\"}", "true", "\u{FEFF}", "[{}]"])
            // NIP-44 cannot carry an empty plaintext: a space stands in.
            return ("payload.not-json", text.isEmpty ? " " : text, drops)
        case 1:
            let type = random.pick(["\"crow\"", "\"CROW_SOCIAL\"", "null", "1", "[\"crow_social\"]", "\"crow_social \""])
            return ("payload.type=\(type)", envelope(base, type: type), drops)
        case 2:
            let versions: [(String, Expectation)] = [
                ("2", drops), ("0", drops), ("-1", drops), ("\"1\"", drops), ("null", drops), ("9300000000000000", drops),
                ("9.3e15", drops), ("1e300", .either), ("-1e300", .either), ("1.0", .either), ("1.5", .either), ("true", .either),
                ("18446744073709551617", .either), ("-9223372036854775809", .either), ("1e-300", .either), ("[1]", drops), ("{}", drops),
            ]
            let (version, expectation) = random.pick(versions)
            return ("payload.version=\(version)", envelope(base, version: version), expectation)
        case 3:
            let subtypes = ["\"room_invitE\"", "\"\"", "null", "1", "\"party\"", "[\"room_invite\"]", "\"room_invite\\u0000\""]
            return ("payload.subtype", envelope(base, subtype: random.pick(subtypes)), drops)
        case 4:
            let text = "{\"type\":\"crow_social\",\"version\":1,\"subtype\":\"room_invite\",\"payload\":\(random.pick(["null", "[]", "\"x\"", "1", "[{}]"]))}"
            return ("payload.not-object", text, drops)
        case 5:
            let values: [(String?, Expectation)] = [
                (nil, drops), ("\"\"", drops), (quoted(String(repeating: "a", count: 65)), drops), ("\"a/b\"", drops), ("\"a b\"", drops),
                ("\"r\\u0000\"", drops), ("\"rööm\"", drops), ("7", drops), ("null", drops), ("[\"r1\"]", drops), ("\"../../etc\"", drops),
                (quoted(String(repeating: "a", count: 64)), .opens), ("\"A-_9\"", .opens),
            ]
            let (value, expectation) = random.pick(values)
            return ("payload.room_code=\(value?.prefix(20) ?? "missing")", envelope(with("room_code", value)), expectation)
        case 6:
            let urls: [(String?, Expectation)] = [
                (nil, drops), ("\"\"", drops), ("7", drops), ("null", drops),
                (quoted("javascript:alert(1)"), badURL), (quoted("JaVaScRiPt:alert(document.cookie)"), badURL),
                (quoted("data:text/html,<script>alert(1)</script>"), badURL), (quoted("file:///etc/passwd"), badURL),
                (quoted("http://evil.example/calls"), badURL), (quoted("https://user:pw@ada.example/"), badURL),
                (quoted("https://ada.example/\u{0}x"), badURL), (quoted("https://ada.example/ x"), badURL), (quoted("https:///nohost"), badURL),
                (quoted("http://100.128.0.1/x"), badURL), (quoted("ftp://ada.example/x"), badURL), (quoted("//ada.example/x"), badURL),
                (quoted("https://ada.example/\u{2028}"), badURL), (quoted("https://ada.example/" + String(repeating: "a", count: 2040)), drops),
                (quoted("https://ada.example:99999999999999999999999/x"), .either), (quoted("https://%zz/"), .either),
                (quoted("https://[::ffff:1.2.3.4]/x"), .either), (quoted("https://ädä.example/x"), .either),
                (quoted("https://ada.example/" + String(repeating: "%", count: 1000)), .either), (quoted("http://999.999.999.999/"), .either),
                (quoted("http://127.0.0.1:8444/calls?room=r1"), .opens), (quoted("HTTPS://Ada.Example/x"), .opens),
                (quoted("http://100.64.0.1/x"), .opens), (quoted("https://ada.example/calls?room=r1#frag"), .opens),
            ]
            let (value, expectation) = random.pick(urls)
            return ("payload.join_url=\(value?.prefix(30) ?? "missing")", envelope(with("join_url", value)), expectation)
        case 7:
            let names: [(String?, Expectation)] = [
                (nil, drops), ("\"\"", drops), ("1", drops), ("null", drops), ("{}", drops), (quoted(String(repeating: "n", count: 257)), drops),
                (quoted(String(repeating: "n", count: 256)), .opens), (quoted("<script>alert(1)</script>"), .either),
                (quoted("\u{202E}adA"), .either), (quoted("a\u{0}b\n\r\t"), .either), (quoted("😀"), .either),
            ]
            let (value, expectation) = random.pick(names)
            return ("payload.host_name=\(value?.prefix(20) ?? "missing")", envelope(with("host_name", value)), expectation)
        case 8:
            let ids: [(String, Expectation)] = [
                ("1", drops), ("null", drops), ("\"\"", drops), (quoted(String(repeating: "c", count: 257)), drops), ("[]", drops),
                (quoted("crow-1"), .opens),
            ]
            let (value, expectation) = random.pick(ids)
            return ("payload.host_crow_id", envelope(with("host_crow_id", value)), expectation)
        case 9:
            // Huge: over the envelope's limit, then near the transport's.
            let size = random.pick([8193, 9000, 20_000])
            return ("payload.huge-\(size)", envelope(with("host_name", quoted(String(repeating: "h", count: size)))), .drops([.badEnvelope, .tooLarge]))
        case 10:
            let depth = random.pick([64, 512, 2000, 4000])
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            return ("payload.nested-\(depth)", envelope(with("host_name", nested)), drops)
        default:
            // Answers with broken room codes, and harmless extras.
            let cases: [(String, Expectation)] = [
                (envelope(["room_code": "\"\""], subtype: "\"call_declined\""), drops),
                (envelope([:], subtype: "\"room_closed\""), drops),
                (envelope(["room_code": "1e300"], subtype: "\"call_busy\""), drops),
                (envelope(["room_code": quoted("r1")], subtype: "\"call_cancelled\""), .opens),
                (envelope(base, extra: ",\"extra\":[1e300,-1,\"x\"]"), .opens),
                (envelope(with("extra", "{\"a\":[[[]]]}")), .opens),
                ("{\"type\":\"crow_social\",\"type\":\"x\",\"version\":1,\"subtype\":\"room_closed\",\"payload\":{\"room_code\":\"r1\"}}", .either),
            ]
            let (text, expectation) = random.pick(cases)
            return ("payload.answer-or-extra", text, expectation)
        }
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    // MARK: - Valid events

    /// A valid event from the contact, and the key that signed its outermost layer.
    struct Base {
        var event: NostrEvent
        var signer: NostrSecretKey
        var wire: InviteWire
    }

    /// One of a few valid invites and answers from the contact, built once per fuzzer.
    private mutating func base(_ selector: Int) -> Base {
        if let cached = bases[selector] { return cached }
        var random = caseRandom(selector, stream: 0xBA5E)
        let wire: InviteWire = selector % 2 == 0 ? .crow : .nip17
        let envelope = Self.envelope(selector / 2)
        let built: Base
        if wire == .crow {
            built = crowEvent(envelope.json(), time: now - Int64(random.below(3600)), &random)
        } else {
            let rumor = NostrEvent.unsigned(
                pubkey: contact.publicKey.hex, kind: NIP17.messageKind, tags: [["p", me.publicKey.hex]], content: envelope.json(),
                createdAt: now - Int64(random.below(3600))
            )
            built = wrap(WrapParts(rumor: rumor, sealer: contact, now: now, random: &random), &random)
        }
        bases[selector] = built
        return built
    }

    private static let baseCount = 14

    private func crowEvent(_ plaintext: String, from sender: NostrSecretKey? = nil, to recipient: NostrPublicKey? = nil, time: Int64, _ random: inout FuzzRandom) -> Base {
        let sender = sender ?? contact
        let recipient = recipient ?? me.publicKey
        let content = Self.encrypt(plaintext, conversation(sender, recipient), &random) ?? ""
        let unsigned = NostrEvent(id: "", pubkey: "", createdAt: time, kind: 4, tags: [["p", recipient.hex]], content: content, sig: "")
        return Base(event: Self.signed(unsigned, by: sender, &random), signer: sender, wire: .crow)
    }

    /// The layers of a gift wrap, each of which a case may break.
    struct WrapParts {
        var rumor: NostrEvent
        /// Replaces the rumor's JSON inside the seal.
        var rumorText: String?
        var sealer: NostrSecretKey
        var sealKind = NIP59.sealKind
        var sealTags: [[String]] = []
        var sealTime: Int64
        /// Applied to the signed seal.
        var sealEdit: (@Sendable (inout NostrEvent) -> Void)?
        /// Replaces the seal's JSON inside the wrap.
        var sealText: String?
        /// Encrypts the seal to this key instead of the recipient's.
        var sealKeyOverride: [UInt8]?
        var wrapTime: Int64
        var recipient: NostrPublicKey?

        init(rumor: NostrEvent, sealer: NostrSecretKey, now: Int64, random: inout FuzzRandom) {
            self.rumor = rumor
            self.sealer = sealer
            sealTime = now - Int64(random.below(Int(NIP59.maxBackdate)))
            wrapTime = now - Int64(random.below(Int(NIP59.maxBackdate)))
        }
    }

    private func wrap(_ parts: WrapParts, _ random: inout FuzzRandom) -> Base {
        let recipient = parts.recipient ?? me.publicKey
        let sealContent = Self.encrypt(parts.rumorText ?? parts.rumor.json(), parts.sealKeyOverride ?? conversation(parts.sealer, recipient), &random) ?? ""
        var seal = Self.signed(
            NostrEvent(id: "", pubkey: "", createdAt: parts.sealTime, kind: parts.sealKind, tags: parts.sealTags, content: sealContent, sig: ""),
            by: parts.sealer, &random
        )
        parts.sealEdit?(&seal)
        let oneTime = Self.key(&random)
        let wrapContent = Self.encrypt(parts.sealText ?? seal.json(), conversation(oneTime, recipient), &random) ?? ""
        let unsigned = NostrEvent(id: "", pubkey: "", createdAt: parts.wrapTime, kind: NIP59.giftWrapKind, tags: [["p", recipient.hex]], content: wrapContent, sig: "")
        return Base(event: Self.signed(unsigned, by: oneTime, &random), signer: oneTime, wire: .nip17)
    }

    // MARK: - Event cases

    /// Event case `index`: what a contact or stranger could send, mostly broken.
    public mutating func eventCase(_ index: Int) -> EventCase {
        var random = caseRandom(index, stream: 0xE7E7)
        let base = base(random.below(Self.baseCount))
        let (label, event, expectation) = mutatedEvent(base, &random)
        let wire = base.wire == .crow && !label.hasPrefix("wrap.") ? "crow" : "nip17"
        // A mutation that changed nothing leaves a valid invite.
        let final = event == base.event ? Expectation.opens : expectation
        return EventCase(index: index, label: "\(wire)/\(label)", event: event, expectation: final)
    }

    private func mutatedEvent(_ base: Base, _ random: inout FuzzRandom) -> (String, NostrEvent, Expectation) {
        var event = base.event
        let resign = random.chance(60)
        let signer = base.signer
        switch random.below(100) {
        case 0..<6:
            return ("valid", event, .opens)
        case 6..<10:
            let sent = randomEnvelopeEvent(wire: base.wire, from: stranger, to: me.publicKey, &random)
            return ("stranger", sent, .drops([.stranger]))
        case 10..<13:
            let sent = randomEnvelopeEvent(wire: base.wire, from: contact, to: stranger.publicKey, &random)
            return ("not-for-us", sent, .drops([.notForUs]))
        case 13..<22:
            let field = random.below(3)
            let (mutated, how) = Self.mutateHex(field == 0 ? event.id : field == 1 ? event.pubkey : event.sig, &random)
            switch field {
            case 0: event.id = mutated
            case 1: event.pubkey = mutated
            default: event.sig = mutated
            }
            return ("\(["id", "pubkey", "sig"][field]).\(how)", event, .drops([.badSignature]))
        case 22..<28:
            if random.chance(30) {
                event.kind = event.kind == 4 ? NIP59.giftWrapKind : 4
                if resign { event = Self.resigned(event, by: signer, &random) }
                return ("kind.swapped\(resign ? "+resigned" : "")", event, resign ? .drops([]) : .drops([.badSignature]))
            }
            event.kind = random.pick([0, 1, 3, 5, 7, 13, 14, 15, 40, 1058, 1060, 10_002, 30_078, -1, -4, Int.max, Int.min, 4 + 65_536, 1059 + (1 << 32)])
            if resign { event = Self.resigned(event, by: signer, &random) }
            return ("kind=\(event.kind)", event, .drops([.unsupportedKind]))
        case 28..<36:
            return mutatedTags(event, signer: signer, resign: resign, &random)
        case 36..<45:
            let outside: [Int64] = [
                .max, .min, 0, -1, 1, 9_300_000_000_000_000, -9_300_000_000_000_000, now + 10 * 31_536_000, now - 10 * 31_536_000,
                now - InviteIntake.maxAge - 1, now + InviteIntake.maxAhead + clockSlack, Int64.max / 1000 + 1, Int64.min / 1000 - 1, 253_402_300_800, 4_294_967_296,
            ]
            if random.chance(70) {
                event.createdAt = random.pick(outside)
                if resign { event = Self.resigned(event, by: signer, &random) }
                return ("created_at=\(event.createdAt)", event, .drops([.badTime]))
            }
            // Inside the window, with room for a slow test to send it.
            event.createdAt = now - InviteIntake.maxAge + 3600 + Int64(random.below(Int(InviteIntake.maxAge - 3600 + InviteIntake.maxAhead - 300)))
            if resign { event = Self.resigned(event, by: signer, &random) }
            return ("created_at.in-window", event, resign ? .opens : .drops([.badSignature]))
        case 45..<58:
            let (how, content, expectation) = mutatedContent(event.content, &random)
            event.content = content
            if content.utf8.count > InviteIntake.maxContent { return ("content.\(how)", event, .drops([.tooLarge])) }
            if !resign { return ("content.\(how)", event, .drops([.badSignature])) }
            return ("content.\(how)+resigned", Self.resigned(event, by: signer, &random), expectation)
        case 58..<72:
            let (how, sent, expectation) = brokenWrap(&random)
            return ("wrap.\(how)", sent, expectation)
        case 72..<88:
            let (how, text, expectation) = Self.payload(&random)
            let sent: NostrEvent
            if base.wire == .crow {
                sent = crowEvent(text, time: now - Int64(random.below(600)), &random).event
            } else {
                let rumor = NostrEvent.unsigned(
                    pubkey: contact.publicKey.hex, kind: NIP17.messageKind, tags: [["p", me.publicKey.hex]], content: text, createdAt: now - Int64(random.below(600))
                )
                sent = wrap(WrapParts(rumor: rumor, sealer: contact, now: now, random: &random), &random).event
            }
            return (how, sent, expectation)
        default:
            // Havoc: several blind changes at once. Any change without a new signature must fail.
            var how: [String] = []
            for _ in 0..<random.within(2...5) {
                switch random.below(7) {
                case 0: event.id = Self.mutateHex(event.id, &random).0; how.append("id")
                case 1: event.pubkey = Self.mutateHex(event.pubkey, &random).0; how.append("pubkey")
                case 2: event.sig = Self.mutateHex(event.sig, &random).0; how.append("sig")
                case 3: event.createdAt = event.createdAt &+ Int64(random.within(-100_000...100_000)); how.append("time")
                case 4: event.tags.append(Self.junkTag(&random, me: me.publicKey.hex)); how.append("tag")
                case 5: event.content = mutatedContent(event.content, &random).1; how.append("content")
                default: event.kind = random.pick([4, 1059, 14, 13]); how.append("kind")
                }
            }
            let resigned = random.chance(30)
            if resigned { event = Self.resigned(event, by: signer, &random) }
            return ("havoc(\(how.joined(separator: ",")))\(resigned ? "+resigned" : "")", event, resigned ? .either : .drops([]))
        }
    }

    /// A valid invite or answer on `wire`, from `sender` to `recipient`.
    private func randomEnvelopeEvent(wire: InviteWire, from sender: NostrSecretKey, to recipient: NostrPublicKey, _ random: inout FuzzRandom) -> NostrEvent {
        let text = Self.envelope(random.below(7)).json()
        let time = now - Int64(random.below(600))
        if wire == .crow { return crowEvent(text, from: sender, to: recipient, time: time, &random).event }
        let rumor = NostrEvent.unsigned(pubkey: sender.publicKey.hex, kind: NIP17.messageKind, tags: [["p", recipient.hex]], content: text, createdAt: time)
        var parts = WrapParts(rumor: rumor, sealer: sender, now: now, random: &random)
        parts.recipient = recipient
        return wrap(parts, &random).event
    }

    /// A broken copy of a lowercase hex field, and how it was broken. Never equal to the original
    /// unless the original had no letters to upper-case.
    static func mutateHex(_ hex: String, _ random: inout FuzzRandom) -> (String, String) {
        var chars = Array(hex)
        let digits = Array("0123456789abcdef")
        switch random.below(10) {
        case 0 where !chars.isEmpty:
            let at = random.below(chars.count)
            let old = chars[at]
            var new = random.pick(digits)
            if new == old { new = old == "0" ? "1" : "0" }
            chars[at] = new
            return (String(chars), "flipped")
        case 1: return (hex.uppercased(), "uppercased")
        case 2 where !chars.isEmpty:
            if let at = chars.indices.filter({ chars[$0].isLetter }).first {
                chars[at] = Character(chars[at].uppercased())
                return (String(chars), "one-uppercased")
            }
            return (hex + "0", "extended")
        case 3: return (String(hex.dropLast(random.within(1...max(1, hex.count)))), "truncated")
        case 4: return (hex + String(repeating: "0", count: random.pick([1, 2, 64])), "extended")
        case 5: return ("", "empty")
        case 6 where !chars.isEmpty:
            chars[random.below(chars.count)] = random.pick(["g", "Z", "\u{0}", "é", " ", "-", "\""])
            return (String(chars), "non-hex")
        case 7: return (hex + hex, "doubled")
        case 8: return (" " + hex, "padded")
        default: return (Hex.encode(random.bytes(hex.count / 2 + 1)).prefix(max(1, hex.count)).description, "random")
        }
    }

    /// A tag of some odd shape.
    static func junkTag(_ random: inout FuzzRandom, me: String) -> [String] {
        switch random.below(9) {
        case 0: return []
        case 1: return ["p"]
        case 2: return ["e", Hex.encode(random.bytes(32))]
        case 3: return ["p", me, "wss://relay.example", "extra"]
        case 4: return [String(repeating: "t", count: random.within(1...4096))]
        case 5: return ["t", "😀\u{0}\u{202E}\n\"\\"]
        case 6: return ["expiration", "1"]
        case 7: return ["p", Hex.encode(random.bytes(32))]
        default: return ["P", me]
        }
    }

    private func mutatedTags(_ event: NostrEvent, signer: NostrSecretKey, resign: Bool, _ random: inout FuzzRandom) -> (String, NostrEvent, Expectation) {
        var event = event
        let me = me.publicKey.hex
        let label: String
        var expectation: Expectation
        switch random.below(9) {
        case 0:
            event.tags.removeAll { $0.first == "p" }
            (label, expectation) = ("tags.no-p", .drops([.notForUs]))
        case 1:
            event.tags = event.tags.map { $0.first == "p" ? ["p", random.pick([me.uppercased(), String(me.dropLast()), me + "0", " " + me, "", Hex.encode(random.bytes(32))])] : $0 }
            (label, expectation) = ("tags.p-mangled", .drops([.notForUs]))
        case 2:
            event.tags = random.pick([[["P", me]], [["p"]], [[me, "p"]], [["p ", me]], []])
            (label, expectation) = ("tags.p-shape", .drops([.notForUs]))
        case 3:
            for _ in 0..<random.within(1...20) { event.tags.insert(Self.junkTag(&random, me: me), at: random.below(event.tags.count + 1)) }
            (label, expectation) = ("tags.junk", resign ? .opens : .drops([.badSignature]))
        case 4:
            for _ in 0..<random.within(64...200) { event.tags.append(["t", "x"]) }
            (label, expectation) = ("tags.too-many", .drops([.tooLarge]))
        case 5:
            while event.tags.count < 64 { event.tags.append(["t", "x"]) }
            (label, expectation) = ("tags.64", resign ? .opens : .drops([.badSignature]))
        case 6:
            event.tags.append(["x", String(repeating: "a", count: random.pick([10_000, 40_000]))])
            (label, expectation) = ("tags.huge-value", resign ? .opens : .drops([.badSignature]))
        case 7:
            event.tags.append(["p", me])
            (label, expectation) = ("tags.p-twice", resign ? .opens : .drops([.badSignature]))
        default:
            event.tags = [["p", Hex.encode(random.bytes(32))]] + event.tags
            (label, expectation) = ("tags.p-someone-first", resign ? .opens : .drops([.badSignature]))
        }
        if resign { event = Self.resigned(event, by: signer, &random) }
        return (label + (resign ? "+resigned" : ""), event, expectation)
    }

    /// Broken NIP-44 content: how, the content, and what a re-signed event with it must get.
    private func mutatedContent(_ content: String, _ random: inout FuzzRandom) -> (String, String, Expectation) {
        let cannot = Expectation.drops([.cannotDecrypt])
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var chars = Array(content)
        func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
        switch random.below(14) {
        case 0:
            return ("truncated", String(chars.prefix(random.below(max(1, chars.count)))), cannot)
        case 1 where chars.count > 8:
            // Every bit of a base64 character before the last group is used: the bytes change.
            let at = random.below(chars.count - 4)
            var new = random.pick(alphabet)
            if new == chars[at] { new = chars[at] == "A" ? "B" : "A" }
            chars[at] = new
            return ("base64-flipped", String(chars), cannot)
        case 2:
            chars.insert(random.pick(["!", " ", "\n", ".", "-", "_", "é", "\u{0}", "=", "#", "?"]), at: random.below(chars.count + 1))
            return ("base64-junk-char", String(chars), .drops([.cannotDecrypt, .badEnvelope]))
        case 3:
            let grown = content + base64(random.bytes(random.pick([3, 30, 300, 3000, 20_000])))
            return ("appended", grown, grown.utf8.count > InviteIntake.maxContent ? .drops([.tooLarge]) : cannot)
        case 4:
            let size = random.pick([InviteIntake.maxContent, InviteIntake.maxContent + 1, InviteIntake.maxContent + 4, 87_473, 200_000])
            let padded = String((content + String(repeating: "A", count: max(0, size - content.count))).prefix(size))
            return ("padded-\(size)", padded, size > InviteIntake.maxContent ? .drops([.tooLarge]) : cannot)
        case 5:
            guard var bytes = Data(base64Encoded: content).map(Array.init), !bytes.isEmpty else { return ("not-base64", content + "!", cannot) }
            bytes[0] = random.pick([0, 1, 3, 4, 0x80, 0xff, 0x32])
            return ("version=\(bytes[0])", base64(bytes), cannot)
        case 6:
            return ("hash-prefix", "#" + content, cannot)
        case 7:
            let stripped = String(content.reversed().drop { $0 == "=" }.reversed())
            return ("unpadded", stripped, stripped == content ? .opens : .either)
        case 8:
            // Too short to hold a nonce and a MAC, or just long enough for the MAC to fail.
            let count = random.pick([0, 1, 32, 65, 98, 99, 100, 65_603, 65_604])
            return ("short-\(count)", base64([2] + random.bytes(max(0, count - 1))), count * 4 / 3 > InviteIntake.maxContent ? .drops([.tooLarge]) : cannot)
        case 9:
            // Sealed for someone else: the MAC fails.
            let other = Self.encrypt("{\"type\":\"crow_social\"}", strangerKey, &random) ?? ""
            return ("wrong-key", other, cannot)
        case 10:
            // NIP-04's shape, with the pieces wrong.
            let cipher = base64(random.bytes(random.pick([0, 15, 16, 32, 48, 1000])))
            let iv = base64(random.bytes(random.pick([0, 15, 16, 17, 32])))
            let text = random.pick(["\(cipher)?iv=\(iv)", "?iv=", "\(cipher)?iv=", "?iv=\(iv)", "\(cipher)?iv=\(iv)?iv=\(iv)", "\(cipher)?iv=!!!!", "\(cipher)?IV=\(iv)"])
            return ("nip04-shaped", text, .drops([.cannotDecrypt, .badEnvelope]))
        case 11:
            return ("empty", "", cannot)
        case 12:
            return ("whitespace", " " + content + "\n", .drops([.cannotDecrypt, .badEnvelope]))
        default:
            return ("random-text", String(decoding: random.bytes(random.within(1...300)), as: UTF8.self), .drops([.cannotDecrypt, .badEnvelope]))
        }
    }

    /// A gift wrap whose inner layers disagree with each other or with the rules.
    private func brokenWrap(_ random: inout FuzzRandom) -> (String, NostrEvent, Expectation) {
        let text = Self.envelope(random.below(7)).json()
        let time = now - Int64(random.below(600))
        let contactHex = contact.publicKey.hex
        let rumor = NostrEvent.unsigned(pubkey: contactHex, kind: NIP17.messageKind, tags: [["p", me.publicKey.hex]], content: text, createdAt: time)
        var parts = WrapParts(rumor: rumor, sealer: contact, now: now, random: &random)
        let label: String
        let expectation: Expectation
        func unsignedRumor(pubkey: String? = nil, kind: Int? = nil, time: Int64? = nil) -> NostrEvent {
            NostrEvent.unsigned(pubkey: pubkey ?? rumor.pubkey, kind: kind ?? rumor.kind, tags: rumor.tags, content: rumor.content, createdAt: time ?? rumor.createdAt)
        }
        switch random.below(20) {
        case 0:
            parts.rumor = unsignedRumor(pubkey: stranger.publicKey.hex)
            (label, expectation) = ("rumor-author-is-stranger", .drops([.authorMismatch]))
        case 1:
            parts.sealer = stranger
            (label, expectation) = ("sealed-by-stranger-claims-contact", .drops([.authorMismatch]))
        case 2:
            parts.sealer = stranger
            parts.rumor = unsignedRumor(pubkey: stranger.publicKey.hex)
            (label, expectation) = ("stranger-throughout", .drops([.stranger]))
        case 3:
            parts.rumor = unsignedRumor(pubkey: random.pick([contactHex.uppercased(), String(contactHex.dropLast()), "", " " + contactHex]))
            (label, expectation) = ("rumor-pubkey-mangled", .drops([.authorMismatch]))
        case 4:
            let kind = random.pick([1, 4, 13, 15, 1059, 0, -1, 14 + 65_536, Int.max])
            parts.rumor = unsignedRumor(kind: kind)
            (label, expectation) = ("rumor-kind=\(kind)", .drops([.badEnvelope]))
        case 5:
            let time = random.pick([Int64.max, .min, 0, -1, 9_300_000_000_000_000, now + InviteIntake.maxAhead + clockSlack, now - InviteIntake.maxAge - 1, now + 31_536_000])
            parts.rumor = unsignedRumor(time: time)
            (label, expectation) = ("rumor-time=\(time)", .drops([.badRumorTime]))
        case 6:
            parts.rumor = unsignedRumor(time: now - InviteIntake.maxAge + 3600)
            (label, expectation) = ("rumor-time-old-but-inside", .opens)
        case 7:
            if random.chance(20) {
                // The same id in capitals: a rumor's id names nothing (the wrap's does), so either is fine.
                parts.rumor.id = parts.rumor.id.uppercased()
                (label, expectation) = ("rumor-id-uppercased", .either)
            } else {
                parts.rumor.id = random.pick([Hex.encode(random.bytes(32)), "zz", String(parts.rumor.id.dropLast(2)), parts.rumor.id + "00"])
                (label, expectation) = ("rumor-id-wrong", .drops([.cannotDecrypt]))
            }
        case 8:
            parts.rumor.id = ""
            (label, expectation) = ("rumor-id-absent", .opens)
        case 9:
            parts.rumor = Self.signed(parts.rumor, by: contact, &random)
            (label, expectation) = ("rumor-signed", .opens)
        case 10:
            parts.sealEdit = { seal in seal.sig = String(seal.sig.reversed()) }
            (label, expectation) = ("seal-signature-bad", .drops([.badSeal]))
        case 11:
            parts.sealEdit = { seal in seal.createdAt += 1 }
            (label, expectation) = ("seal-id-stale", .drops([.badSeal]))
        case 12:
            parts.sealKind = random.pick([14, 1, 4, 1059, 12, 0])
            (label, expectation) = ("seal-kind=\(parts.sealKind)", .drops([.cannotDecrypt]))
        case 13:
            parts.sealText = random.pick(["", "null", "{}", "[]", "{\"kind\":13}", String(repeating: "[", count: 5000), "not json"])
            if parts.sealText == "" { parts.sealText = " " }
            (label, expectation) = ("seal-not-an-event", .drops([.cannotDecrypt]))
        case 14:
            parts.rumorText = random.pick([
                " ", "null", "{}", "[]", "{\"pubkey\":\"\(contactHex)\",\"kind\":14}",
                "{\"pubkey\":\"\(contactHex)\",\"kind\":14,\"created_at\":1e300,\"tags\":[],\"content\":\"x\"}",
                "{\"pubkey\":\"\(contactHex)\",\"kind\":\"14\",\"created_at\":\(time),\"tags\":[],\"content\":\"x\"}",
                "{\"pubkey\":\"\(contactHex)\",\"kind\":14,\"created_at\":\(time),\"tags\":[[1]],\"content\":\"x\"}",
                "{\"pubkey\":\"\(contactHex)\",\"kind\":14,\"created_at\":\(time),\"tags\":[],\"content\":null}",
                "{\"pubkey\":\"\(contactHex)\",\"kind\":14,\"created_at\":\"NaN\",\"tags\":[],\"content\":\"x\"}",
                String(repeating: "{\"a\":", count: 1000),
            ])
            (label, expectation) = ("rumor-not-an-event", .drops([.cannotDecrypt]))
        case 15:
            parts.sealKeyOverride = strangerKey
            (label, expectation) = ("seal-encrypted-to-other", .drops([.cannotDecrypt]))
        case 16:
            parts.sealTags = [["p", me.publicKey.hex], ["expiration", "1"]]
            parts.sealTime = random.pick([Int64.max, .min, 0, 9_300_000_000_000_000])
            (label, expectation) = ("seal-tags-and-time", .either)
        case 17:
            // A rumor that is itself a gift wrap: one layer too many.
            let inner = randomEnvelopeEvent(wire: .nip17, from: contact, to: me.publicKey, &random)
            parts.rumor = NostrEvent.unsigned(pubkey: contactHex, kind: NIP59.giftWrapKind, tags: inner.tags, content: inner.content, createdAt: time)
            (label, expectation) = ("rumor-is-a-wrap", .drops([.badEnvelope]))
        case 18:
            parts.rumor.tags = random.pick([[], [["p", stranger.publicKey.hex]], [["p"]], (0..<100).map { _ in ["t", "x"] }])
            (label, expectation) = ("rumor-tags", .either)
        default:
            parts.wrapTime = random.pick([Int64.max, .min, 9_300_000_000_000_000, now + InviteIntake.maxAhead + clockSlack])
            (label, expectation) = ("wrap-time=\(parts.wrapTime)", .drops([.badTime]))
        }
        return (label, wrap(parts, &random).event, expectation)
    }

    // MARK: - Relay-message texts

    /// Relay-message text case `index`: client and relay frames, valid, then broken.
    public mutating func textCase(_ index: Int) -> TextCase {
        var random = caseRandom(index, stream: 0x7E47)
        let base = base(random.below(Self.baseCount)).event
        let me = me.publicKey.hex
        let filter = RelayMessage.Filter(kinds: [4, 1059], pTags: [me], since: now - 3600, limit: 50)
        let frames: [(RelayMessage, Bool)] = [
            (.publish(base), false), (.publish(base), false), (.publish(base), false),
            (.request(subscription: "inbox", filters: [filter]), false), (.close(subscription: "inbox"), false),
            (.event(subscription: "inbox", base), true), (.ok(eventId: base.id, accepted: true, message: ""), true),
            (.endOfStoredEvents(subscription: "inbox"), true), (.notice("hi"), true), (.closed(subscription: "inbox", message: "bye"), true),
        ]
        let (message, fromRelay) = random.pick(frames)
        let valid = message.json()
        func make(_ label: String, _ text: String, _ expectation: TextExpectation, relay: Bool = fromRelay) -> TextCase {
            TextCase(index: index, label: label, text: text, fromRelay: relay, expectation: expectation, eventOpens: false)
        }
        switch random.below(100) {
        case 0..<8:
            var unchanged = make("valid", valid, .message(message))
            if case .publish = message { unchanged.eventOpens = true }
            if case .event = message { unchanged.eventOpens = true }
            return unchanged
        case 8..<18:
            let bytes = Array(valid.utf8)
            let cut = random.within(0...(bytes.count - 1))
            return make("truncated-\(cut)", String(decoding: bytes.prefix(cut), as: UTF8.self), .rejected)
        case 18..<26:
            let event = base.json()
            let cases: [(String, String, TextExpectation, Bool)] = [
                ("event-no-body", "[\"EVENT\"]", .rejected, false), ("event-twice", "[\"EVENT\",\(event),\(event)]", .rejected, false),
                ("event-extra", "[\"EVENT\",\(event),\"x\"]", .rejected, false), ("req-bare", "[\"REQ\"]", .rejected, false),
                ("req-no-filter", "[\"REQ\",\"s\"]", .message(.request(subscription: "s", filters: [])), false),
                ("close-bare", "[\"CLOSE\"]", .rejected, false), ("close-extra", "[\"CLOSE\",\"s\",\"x\",1e300]", .message(.close(subscription: "s")), false),
                ("relay-event-no-sub", "[\"EVENT\",\(event)]", .rejected, true), ("ok-short", "[\"OK\",\"\(base.id)\"]", .rejected, true),
                ("eose-bare", "[\"EOSE\"]", .rejected, true), ("notice-bare", "[\"NOTICE\"]", .message(.notice("")), true),
                ("closed-bare", "[\"CLOSED\"]", .rejected, true), ("empty", "[]", .rejected, false),
            ]
            let (label, text, expectation, relay) = random.pick(cases)
            return make("arity.\(label)", text, expectation, relay: relay)
        case 26..<34:
            // Client messages read as a relay would not be read at all, and the other way round.
            let cases: [(String, TextExpectation, Bool)] = [
                ("[\"EVENT\",\"x\"]", .rejected, false), ("[\"EVENT\",null]", .rejected, false), ("[\"EVENT\",1]", .rejected, false),
                ("[\"EVENT\",[]]", .rejected, false), ("[1,2]", .rejected, false), ("{}", .rejected, true), ("{\"EVENT\":1}", .rejected, false),
                ("\"EVENT\"", .rejected, false), ("null", .rejected, true), ("[\"event\",{}]", .rejected, false), ("[\"REQ\",5,{}]", .rejected, false),
                ("[\"REQ\",null]", .rejected, false), ("[\"CLOSE\",[\"s\"]]", .rejected, false),
                ("[\"REQ\",\"s\",\"not a filter\",7,[]]", .message(.request(subscription: "s", filters: [])), false),
                ("[\"REQ\",\"s\",{}]", .rejected, true), ("[[\"EVENT\"]]", .rejected, false), ("[1e300]", .rejected, true),
                ("[9.3e15,\"x\"]", .rejected, false), ("[\"CLOSE\",1e300]", .rejected, false), ("[\"OK\",\"id\",1,\"m\"]", .either, true),
                ("[\"OK\",\"id\",\"true\",\"m\"]", .rejected, true), ("[\"OK\",null,true]", .rejected, true), ("[\"NOTICE\",1e300]", .either, true),
                ("[\"EOSE\",-1]", .rejected, true), ("[\"CLOSED\",\"s\",{\"a\":1}]", .either, true), ("[\"\\u0000EVENT\",{}]", .rejected, false),
                ("[\"EVENT\",\"inbox\",\"x\"]", .rejected, true), ("[\"EVENT\",1e300,{}]", .rejected, true), ("[\"OK\",\"id\",true,1e300]", .either, true),
            ]
            let (text, expectation, relay) = random.pick(cases)
            return make("types", text, expectation, relay: relay)
        case 34..<56:
            return eventFieldCase(index, base: base, relay: fromRelay, &random)
        case 56..<64:
            let values = [
                "1e300", "-1e300", "9.3e15", "9300000000000000", "-1", "1.5", "\"NaN\"", "null", "true", "9223372036854775807",
                "9223372036854775808", "-9223372036854775809", "1e19", "18446744073709551616", "1e400", "-0", "[1e300]", "{\"a\":1}", "[-1]", "[\"4\"]", "[4.5]",
            ]
            let key = random.pick(["kinds", "#p", "ids", "authors", "since", "limit", "until", "#e"])
            let value = random.pick(values)
            let limit = random.pick(values)
            // `1e400` is not a double, nor 2^64 an integer: a reader may refuse the whole text.
            let odd = [value, limit].contains { $0 == "1e400" || $0 == "18446744073709551616" }
            return make("filter.\(key)=\(value)", "[\"REQ\",\"s\",{\"\(key)\":\(value)},{\"limit\":\(limit)}]", odd ? .either : .parses, relay: false)
        case 64..<72:
            let depth = random.pick([64, 512, 513, 1024, 10_000, 65_000])
            let open = String(repeating: "[", count: depth)
            let close = String(repeating: "]", count: depth)
            let cases: [(String, TextExpectation)] = [
                (open + close, .rejected), ("[\"EVENT\",\(open)\(close)]", .rejected),
                ("[\"REQ\",\"s\",{\"kinds\":\(open)\(close)}]", .either), (String(repeating: "{\"a\":", count: depth / 5) + "1" + String(repeating: "}", count: depth / 5), .rejected),
                (open, .rejected),
            ]
            let (text, expectation) = random.pick(cases)
            return make("nested-\(depth)", text, expectation, relay: random.chance(50))
        case 72..<88:
            var bytes = Array(valid.utf8)
            let alphabet = Array("[]{}\":,\\ 0123456789.-eE+tfnul\u{0}".utf8) + [0xC3, 0xA9, 0xFF, 0xED, 0xA0, 0x80]
            for _ in 0..<random.within(1...8) {
                guard !bytes.isEmpty else { break }
                let at = random.below(bytes.count)
                switch random.below(5) {
                case 0: bytes[at] = random.pick(alphabet)
                case 1: bytes.insert(random.pick(alphabet), at: at)
                case 2: bytes.remove(at: at)
                case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + random.within(1...64))], at: at)
                default: bytes[at] ^= UInt8(1 << random.below(8))
                }
            }
            return make("havoc", String(decoding: bytes, as: UTF8.self), .either)
        default:
            let cases: [(String, String, TextExpectation)] = [
                ("random-bytes", String(decoding: random.bytes(random.within(0...512)), as: UTF8.self), .either),
                ("bom", "\u{FEFF}" + valid, .either), ("surrounded", " \n\t" + valid + "  \r\n", .either), ("nul", "\u{0}", .rejected), ("blank", "", .rejected),
                ("over-limit", "[\"CLOSE\",\"s\"" + String(repeating: " ", count: RelayMessage.maxBytes) + "]", .rejected),
                ("at-limit", "[\"CLOSE\",\"s\"" + String(repeating: " ", count: RelayMessage.maxBytes - 13) + "]", .message(.close(subscription: "s"))),
                ("lone-surrogate", "[\"NOTICE\",\"\\ud800\"]", .either), ("utf16", String(decoding: Array(valid.utf16).flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }, as: UTF8.self), .either),
                ("escaped-name", "[\"\\u0045VENT\",\(base.json())]", .message(.publish(base))), ("long-sub", "[\"CLOSE\",\"\(String(repeating: "s", count: 100_000))\"]", .parses),
            ]
            let (label, text, expectation) = random.pick(cases)
            let clientOnly = ["at-limit", "escaped-name", "long-sub"].contains(label)
            return make("garbage.\(label)", text, expectation, relay: clientOnly ? false : random.chance(50))
        }
    }

    /// An `EVENT` text whose event JSON has one field of the wrong type, size or presence.
    private func eventFieldCase(_ index: Int, base: NostrEvent, relay: Bool, _ random: inout FuzzRandom) -> TextCase {
        var fields: [(String, String)] = [
            ("content", Self.quoted(base.content)), ("created_at", "\(base.createdAt)"), ("id", Self.quoted(base.id)), ("kind", "\(base.kind)"),
            ("pubkey", Self.quoted(base.pubkey)), ("sig", Self.quoted(base.sig)),
            ("tags", "[" + base.tags.map { "[" + $0.map(Self.quoted).joined(separator: ",") + "]" }.joined(separator: ",") + "]"),
        ]
        let numbers: [(String, TextExpectation)] = [
            ("9300000000000000", .parses), ("9.3e15", .either), ("1e300", .rejected), ("-1e300", .rejected), ("-1", .parses), ("\"NaN\"", .rejected),
            ("1.5", .rejected), ("null", .rejected), ("\"123\"", .rejected), ("9223372036854775807", .either), ("9223372036854775808", .either),
            ("-9223372036854775808", .either), ("1e19", .either), ("-0", .either), ("0", .parses), ("true", .either), ("[]", .rejected), ("{}", .rejected),
            ("1e-300", .either), ("NaN", .rejected), ("Infinity", .rejected), ("-", .rejected), ("01", .either), ("0x10", .rejected), ("1e400", .either),
        ]
        let table: [String: [(String?, TextExpectation)]] = [
            "created_at": numbers.map { (String?($0.0), $0.1) } + [(nil, .rejected)],
            "kind": numbers.map { (String?($0.0), $0.1) } + [(nil, .rejected), ("4.0", .either), ("1059", .parses)],
            "tags": [
                ("\"x\"", .rejected), ("[[\"p\"]]", .parses), ("[[1]]", .rejected), ("[[]]", .parses), ("[[[\"p\"]]]", .rejected), ("null", .rejected),
                ("[]", .parses), ("{}", .rejected), ("[[null]]", .rejected), ("[[\"p\",null]]", .rejected), (nil, .rejected),
                ("[" + Array(repeating: "[\"t\",\"x\"]", count: 1000).joined(separator: ",") + "]", .parses), ("[[\"p\",\"\\u0000\"]]", .parses),
                ("[[\"p\",1e300]]", .rejected),
            ],
            "content": [
                ("1", .rejected), ("null", .rejected), ("\"\"", .parses), ("\"\\ud800\"", .either), ("\"\\u0000\"", .parses), ("[]", .rejected),
                (nil, .rejected), (Self.quoted(String(repeating: "A", count: 100_000)), .parses), ("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", .parses),
            ],
            "id": [(nil, .parses), ("1", .rejected), ("null", .either), ("\"\"", .parses), ("\"\(base.id.uppercased())\"", .parses), ("[]", .rejected)],
            "pubkey": [(nil, .rejected), ("null", .rejected), ("1", .rejected), ("\"\"", .parses), ("\"\(base.pubkey.uppercased())\"", .parses)],
            "sig": [(nil, .parses), ("null", .either), ("1", .rejected), ("\"\"", .parses), ("{\"r\":1}", .rejected)],
        ]
        let key = random.pick(table.keys.sorted())
        let (value, expectation) = random.pick(table[key]!)
        if let at = fields.firstIndex(where: { $0.0 == key }) {
            if let value { fields[at].1 = value } else { fields.remove(at: at) }
        }
        var extra = ""
        switch random.below(6) {
        case 0: extra = ",\"extra\":[1e300,{\"a\":null}]"
        case 1: extra = ",\"\(key)\":\(fields.first { $0.0 == key }?.1 ?? "1")"
        default: break
        }
        let body = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + extra + "}"
        let text = relay ? "[\"EVENT\",\"inbox\",\(body)]" : "[\"EVENT\",\(body)]"
        // A duplicate key is the reader's choice.
        let final = extra.hasPrefix(",\"\(key)\"") ? TextExpectation.either : expectation
        return TextCase(index: index, label: "event-field.\(key)=\(value?.prefix(24) ?? "missing")", text: text, fromRelay: relay, expectation: final, eventOpens: false)
    }

    // MARK: - Frames for a live inbox

    /// Frame case `index`, at most `maxBytes` long: event cases as `EVENT` messages, relay texts,
    /// binary frames and text frames that are not UTF-8.
    public mutating func frameCase(_ index: Int, maxBytes: Int) -> FrameCase {
        var random = caseRandom(index, stream: 0xF4A3)
        for attempt in 0..<16 {
            let sub = index &* 16 &+ attempt
            let candidate: FrameCase
            switch random.below(100) {
            case 0..<50:
                let event = eventCase(sub)
                candidate = FrameCase(index: index, label: "event \(event.label)", frame: .text(RelayMessage.publish(event.event).json()), expectation: event.expectation)
            case 50..<82:
                let text = textCase(sub)
                candidate = FrameCase(index: index, label: "text \(text.label)", frame: .text(text.text), expectation: nil)
            case 82..<90:
                let bytes = random.chance(50) ? Array(RelayMessage.publish(base(random.below(Self.baseCount)).event).json().utf8) : random.bytes(random.within(0...2048))
                candidate = FrameCase(index: index, label: "binary", frame: .binary(bytes), expectation: nil)
            default:
                var bytes = Array("[\"EVENT\",{\"content\":\"".utf8) + random.bytes(random.within(1...64)) + Array("\"}]".utf8)
                if random.chance(30) { bytes = [0xFF, 0xFE] + Array(textCase(sub).text.utf8.prefix(1024)) }
                candidate = FrameCase(index: index, label: "raw-text", frame: .rawText(bytes), expectation: nil)
            }
            if candidate.frame.byteCount <= maxBytes { return candidate }
        }
        return FrameCase(index: index, label: "text fallback", frame: .text("[\"CLOSE\",\"s\"]"), expectation: nil)
    }
}

/// Inputs already known to trap, each with the regression test that reproduces it.
/// The fuzz tests skip them and count them, so that one known bug fails one test instead of stopping
/// every run; delete an entry once its bug is fixed, and the fuzzer covers those inputs again. Empty
/// while no known trap is unfixed. (The first, `["EVENT",null]` in `RelayMessage.parse`, is fixed: its
/// regression tests are `IntakeFuzzRegressionTests.anEventThatIsNotAnObjectIsRefused` and
/// `NostrInboxFuzzTests.aFrameWhoseEventIsNotAnObjectDoesNotStopTheGateway`.)
public enum KnownTraps {
    /// A regression test's name, and whether `RelayMessage.parse(text, fromRelay:)` would trap on the text.
    typealias RelayMessageTrap = (test: String, matches: @Sendable (_ text: String, _ fromRelay: Bool) -> Bool)

    static let relayMessageTraps: [RelayMessageTrap] = []

    /// The regression test for the trap `text` would hit in `RelayMessage.parse(text, fromRelay:)`, if any.
    public static func relayMessage(_ text: String, fromRelay: Bool) -> String? {
        relayMessageTraps.first { $0.matches(text, fromRelay) }?.test
    }
}
