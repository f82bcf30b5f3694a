import CrowSecurity
import Foundation

/// The reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` the gateway believes
/// (`CROW_TRUSTED_PROXIES`): addresses and CIDR ranges, IPv4 or IPv6. Empty by default: a header any
/// client can write must not decide which client a per-IP limit counts.
public struct TrustedProxies: Sendable, Equatable {
    struct Range: Sendable, Equatable {
        var bytes: [UInt8]
        var prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var left = prefix
            for index in 0..<bytes.count where left > 0 {
                let bits = min(8, left)
                let mask: UInt8 = bits == 8 ? 0xff : ~(0xff >> UInt8(bits))
                if address[index] & mask != bytes[index] & mask { return false }
                left -= bits
            }
            return true
        }
    }

    var ranges: [Range]
    /// More is a configuration mistake, not a network.
    public static let maxEntries = 64

    public static let none = TrustedProxies(ranges: [])

    public var isEmpty: Bool { ranges.isEmpty }

    /// Parses `127.0.0.1, ::1, 10.0.0.0/8`; nil (with the reason) for anything else.
    public static func parse(_ text: String) -> Result<TrustedProxies, ProxyListError> {
        let entries = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard entries.count <= maxEntries else { return .failure(ProxyListError(reason: "at most \(maxEntries) entries")) }
        var ranges: [Range] = []
        for entry in entries {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bytes = Self.bytes(String(parts[0])) else {
                return .failure(ProxyListError(reason: "\(entry.prefix(64)) is not an IP address or CIDR range"))
            }
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard parts[1].utf8.count <= 3, let given = Int(parts[1]), (0...bytes.count * 8).contains(given) else {
                    return .failure(ProxyListError(reason: "\(entry.prefix(64)) has a bad prefix length"))
                }
                prefix = given
            }
            ranges.append(Range(bytes: bytes, prefix: prefix))
        }
        return .success(TrustedProxies(ranges: ranges))
    }

    public struct ProxyListError: Error, Sendable {
        public var reason: String
    }

    /// Whether `address` (text, IPv4 or IPv6, an IPv4-mapped IPv6 address counting as IPv4) is one of
    /// the trusted proxies.
    public func contains(_ address: String) -> Bool {
        guard !ranges.isEmpty, let bytes = Self.bytes(address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client behind a request from `peer`, and whether it reached the proxy over HTTPS.
    ///
    /// From a peer that is not a trusted proxy, the headers are ignored: the peer is the client. From a
    /// trusted one, `X-Forwarded-For` is read from the right (each proxy appends the address it saw)
    /// past every trusted proxy; the first address that is not one is the client. An entry that is not
    /// an address ends the walk at the last trusted hop, since nothing left of it can be believed.
    /// `X-Forwarded-Proto` counts only from a trusted peer.
    public func resolve(peer: String, forwardedFor: [String], forwardedProto: String?) -> (client: String, https: Bool) {
        guard contains(peer) else { return (peer, false) }
        let https = forwardedProto.map { $0.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "https" } ?? false
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.suffix(Self.maxEntries).reversed() {
            guard let address = Self.address(hop) else { break }
            client = address
            if !contains(address) { break }
        }
        return (client, https)
    }

    /// An entry of `X-Forwarded-For` as a bare address: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]` or
    /// `[2001:db8::1]:443`, `192.0.2.1:443`; nil for anything else (`unknown`, names, junk).
    static func address(_ hop: String) -> String? {
        guard hop.utf8.count <= 64 else { return nil }
        var text = Substring(hop)
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            text = text[text.index(after: text.startIndex)..<end]
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = text[..<colon]
        }
        let candidate = String(text)
        return bytes(candidate) == nil ? nil : candidate
    }

    static func bytes(_ text: String) -> [UInt8]? {
        if let v4 = IPAddressBytes.ipv4(text) { return v4 }
        guard let bytes = IPAddressBytes.ipv6(text) else { return nil }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12..<16]) }
        return bytes
    }
}
