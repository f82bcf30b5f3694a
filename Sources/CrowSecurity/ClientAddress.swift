import Foundation

/// The unit a per-client limit counts: one IPv4 address, or one IPv6 /64.
///
/// An IPv6 host usually holds a whole /64 and can rotate through its addresses at will, so counting
/// single IPv6 addresses would let it guess without limit. IPv4-mapped IPv6 addresses count as the
/// IPv4 address they carry.
public enum ClientAddress {
    public static func bucket(_ ip: String) -> String {
        guard ip.contains(":") else { return ip }
        let address = ip.split(separator: "%", maxSplits: 1).first.map(String.init) ?? ip  // zone index
        guard let groups = expand(address) else { return address.lowercased() }
        if groups[0..<5].allSatisfy({ $0 == 0 }), groups[5] == 0xffff {
            return "\(groups[6] >> 8).\(groups[6] & 0xff).\(groups[7] >> 8).\(groups[7] & 0xff)"
        }
        return groups[0..<4].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 address, or nil when it does not parse.
    public static func expand(_ address: String) -> [UInt16]? {
        var text = Substring(address)
        var tail: [UInt16] = []
        // A trailing dotted IPv4 part stands for the last two groups.
        if let lastColon = text.lastIndex(of: ":"), text[lastColon...].contains(".") {
            let octets = text[text.index(after: lastColon)...].split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
            guard octets.count == 4 else { return nil }
            tail = [UInt16(octets[0]) << 8 | UInt16(octets[1]), UInt16(octets[2]) << 8 | UInt16(octets[3])]
            text = text[...lastColon]
            if !text.hasSuffix("::") { text = text.dropLast() }
        }
        func parse(_ part: Substring) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var groups: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(piece.count), let value = UInt16(piece, radix: 16) else { return nil }
                groups.append(value)
            }
            return groups
        }
        let halves = text.components(separatedBy: "::")
        let groups: [UInt16]
        switch halves.count {
        case 1:
            guard let all = parse(Substring(halves[0])) else { return nil }
            groups = all + tail
            guard groups.count == 8 else { return nil }
        case 2:
            guard let head = parse(Substring(halves[0])), let rest = parse(Substring(halves[1])) else { return nil }
            let known = head.count + rest.count + tail.count
            guard known < 8 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - known) + rest + tail
        default:
            return nil
        }
        return groups
    }
}
