/// Identifiers in the formats the gateway mints (12-character room codes, 16-hex ids, 64-hex hashes and
/// keys), drawn from a counter through bijective mixers, so that one generator never repeats itself and
/// generators with different `lane`s never collide. `key` varies them between runs.
struct BenchIdentifiers: Sendable {
    private static let codeAlphabet = Array("abcdefghijkmnpqrstuvwxyz23456789".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let mask60: UInt64 = (1 << 60) - 1

    private let lane: UInt64
    private let key: UInt64
    private var counter: UInt64 = 0

    /// `lane` < 4096 (a writer); `key` distinguishes runs.
    init(lane: Int, key: UInt64) {
        precondition(lane >= 0 && lane < 4096)
        self.lane = UInt64(lane)
        self.key = key
    }

    private mutating func next() -> UInt64 {
        counter += 1
        return (lane << 48) | counter
    }

    /// A 12-character room code (60 bits).
    mutating func roomCode() -> String {
        var value = Self.mix60((next() ^ key) & Self.mask60)
        var bytes = [UInt8](repeating: 0, count: 12)
        for index in 0..<12 {
            bytes[index] = Self.codeAlphabet[Int(value & 31)]
            value >>= 5
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A random 16-hex-character identifier (a peer's; tokens and invites take the gateway's own
    /// time-ordered ids, `Secrets.orderedIdentifier`).
    mutating func identifier() -> String {
        Self.hex([Self.mix64(next() ^ key)])
    }

    /// 64 hex characters (a SHA-256 or a Nostr key or event id), unique like `identifier()`.
    mutating func hex64() -> String {
        let first = Self.mix64(next() ^ key)
        return Self.hex([first, Self.mix64(first &+ 1), Self.mix64(first &+ 2), Self.mix64(first &+ 3)])
    }

    /// A fixed 64-hex key for the `index`-th of a small set of contacts.
    static func contactKey(_ index: Int) -> String {
        let seed = mix64(0xC0_0C0A + UInt64(index))
        return hex([seed, mix64(seed &+ 1), mix64(seed &+ 2), mix64(seed &+ 3)])
    }

    static func hex(_ words: [UInt64]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.count * 16)
        for word in words {
            for shift in stride(from: 60, through: 0, by: -4) {
                bytes.append(hexDigits[Int((word >> UInt64(shift)) & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// SplitMix64's finalizer: a bijection on 64-bit values.
    static func mix64(_ input: UInt64) -> UInt64 {
        var z = input
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The same construction restricted to 60 bits (xorshift and odd multipliers stay bijective mod 2^60).
    static func mix60(_ input: UInt64) -> UInt64 {
        var z = input & mask60
        z = ((z ^ (z >> 29)) &* 0xBF58_476D_1CE4_E5B9) & mask60
        z = ((z ^ (z >> 26)) &* 0x94D0_49BB_1331_11EB) & mask60
        return z ^ (z >> 30)
    }
}
