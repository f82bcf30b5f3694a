import Decisions
import Foundation

/// Nostr public keys as people paste them: 64 hex characters, or a NIP-19 `npub` (bech32, BIP-173).
public enum NostrKey {
    /// The key as 64 lowercase hex characters, from hex (either case) or an `npub`; nil when it is
    /// neither, or an `npub` whose checksum fails. Surrounding white space is ignored.
    public static func publicKeyHex(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.utf8.count == 64 {
            let lower = trimmed.lowercased()
            return lower.utf8.allSatisfy(isHexDigit) ? lower : nil
        }
        guard trimmed.lowercased().hasPrefix("npub1"), let bytes = decodeNpub(trimmed) else { return nil }
        return hex(bytes)
    }

    /// The NIP-19 `npub` of a 64-hex public key; nil when `hex` is not 64 hex characters.
    public static func npub(fromHex hexKey: String) -> String? {
        guard let bytes = bytes(fromHex: hexKey), bytes.count == 32 else { return nil }
        return Bech32.encode(hrp: "npub", data: bytes)
    }

    /// The 32 key bytes of an `npub`, checksum verified; nil for anything else.
    public static func decodeNpub(_ text: String) -> [UInt8]? {
        guard let (hrp, data) = Bech32.decode(text), hrp == "npub", data.count == 32 else { return nil }
        return data
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte)
    }

    static func hex(_ bytes: [UInt8]) -> String { Secrets.hex(bytes) }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let utf8 = Array(text.lowercased().utf8)
        guard utf8.count % 2 == 0, utf8.allSatisfy(isHexDigit) else { return nil }
        func value(_ digit: UInt8) -> UInt8 { digit <= 0x39 ? digit - 0x30 : digit - 0x61 + 10 }
        return stride(from: 0, to: utf8.count, by: 2).map { value(utf8[$0]) << 4 | value(utf8[$0 + 1]) }
    }
}

/// Bech32 (BIP-173, not bech32m) as NIP-19 uses it, for byte payloads.
enum Bech32 {
    static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
    /// NIP-19 allows longer strings than BIP-173's 90 characters; `npub` is 63.
    static let maxLength = 5000

    static func polymod(_ values: [UInt8]) -> UInt32 {
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for index in 0..<5 where (top >> UInt32(index)) & 1 == 1 {
                checksum ^= generator[index]
            }
        }
        return checksum
    }

    static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    static func encode(hrp: String, data: [UInt8]) -> String {
        let hrpBytes = Array(hrp.utf8)
        let values = convertBits(data, from: 8, to: 5, pad: true) ?? []
        let checksumInput = expand(hrpBytes) + values + [0, 0, 0, 0, 0, 0]
        let mod = polymod(checksumInput) ^ 1
        let checksum = (0..<6).map { UInt8((mod >> (5 * (5 - UInt32($0)))) & 31) }
        return hrp + "1" + String(decoding: (values + checksum).map { charset[Int($0)] }, as: UTF8.self)
    }

    /// The human-readable part and the payload bytes; nil on mixed case, bad characters, a bad checksum
    /// or non-zero padding.
    static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        let raw = Array(text.utf8)
        guard raw.count >= 8, raw.count <= maxLength, raw.allSatisfy({ (33...126).contains($0) }) else { return nil }
        let hasLower = raw.contains { (0x61...0x7A).contains($0) }
        let hasUpper = raw.contains { (0x41...0x5A).contains($0) }
        guard !(hasLower && hasUpper) else { return nil }
        let lower = raw.map { (0x41...0x5A).contains($0) ? $0 + 32 : $0 }
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")), separator >= 1, lower.count - separator - 1 >= 6 else {
            return nil
        }
        let hrp = Array(lower[..<separator])
        var values: [UInt8] = []
        values.reserveCapacity(lower.count - separator - 1)
        for character in lower[(separator + 1)...] {
            guard let index = charset.firstIndex(of: character) else { return nil }
            values.append(UInt8(index))
        }
        guard polymod(expand(hrp) + values) == 1 else { return nil }
        guard let data = convertBits(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else { return nil }
        return (String(decoding: hrp, as: UTF8.self), data)
    }

    static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        let maxValue = (1 << to) - 1
        let maxAccumulator = (1 << (from + to - 1)) - 1
        var out: [UInt8] = []
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            accumulator = ((accumulator << from) | Int(value)) & maxAccumulator
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> bits) & maxValue))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << (to - bits)) & maxValue)) }
        } else if bits >= from || ((accumulator << (to - bits)) & maxValue) != 0 {
            return nil
        }
        return out
    }
}
