import CrowSecurity
import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Which hosts the gateway connects to on a contact's word. An answer to a call goes, besides the
/// relays, to `/nostr` on the host of the call's join URL, and that URL comes from the contact's
/// invite. Unchecked, a contact could make the gateway open connections to anything it can reach:
/// itself on loopback, the home router, a cloud metadata service.
///
/// So the host must be a name or address other machines can use: every address it resolves to must be
/// public unicast, or inside the Tailscale range (100.64.0.0/10, `*.ts.net`) when the gateway itself is
/// on a tailnet. Loopback, private (RFC 1918, fc00::/7), link-local (the metadata services among
/// them), CGNAT outside a tailnet, multicast, unspecified and reserved addresses are refused, and so is
/// a name that does not resolve. (A name resolved here is resolved again by the connection; a name
/// whose owner flips its answers in between could still land elsewhere. The relays named by the owner
/// are not subject to this rule: the owner chose them.)
enum InboxAddressRule {
    /// Whether an address, as text (IPv4 dotted or IPv6, brackets allowed), may be connected to.
    static func permits(address text: String, allowTailnet: Bool) -> Bool {
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        if let v4 = ipv4(bare) { return permits(v4: v4, allowTailnet: allowTailnet) }
        if let v6 = ipv6(bare) { return permits(v6: v6, allowTailnet: allowTailnet) }
        return false
    }

    /// Whether `host` (a name or an address) may be connected to: an address is judged as it is; a
    /// name by every address it resolves to, and it must resolve.
    static func permits(host raw: String, allowTailnet: Bool) async -> Bool {
        let host = raw.lowercased()
        if host.isEmpty || host == "localhost" || host.hasSuffix(".localhost") { return false }
        if host.hasSuffix(".ts.net") { return allowTailnet }
        if ipv4(host) != nil || ipv6(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) != nil {
            return permits(address: host, allowTailnet: allowTailnet)
        }
        let addresses = await resolve(host)
        return !addresses.isEmpty && addresses.allSatisfy { permits(address: $0, allowTailnet: allowTailnet) }
    }

    // MARK: - Addresses

    static func permits(v4 a: [UInt8], allowTailnet: Bool) -> Bool {
        switch (a[0], a[1]) {
        case (0, _), (10, _), (127, _), (169, 254), (172, 16...31), (192, 168), (198, 18...19): return false
        case (100, 64...127): return allowTailnet
        case (192, 0) where a[2] == 0 || a[2] == 2: return false  // IETF assignments, TEST-NET-1
        case (198, 51) where a[2] == 100, (203, 0) where a[2] == 113: return false  // TEST-NET-2 and -3
        case (224...255, _): return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    static func permits(v6 b: [UInt8], allowTailnet: Bool) -> Bool {
        // An IPv4 address in IPv6 form (::ffff:a.b.c.d) is judged as IPv4.
        if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff {
            return permits(v4: Array(b[12..<16]), allowTailnet: allowTailnet)
        }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
        if b[0] == 0xfd, b[1] == 0x7a, b[2] == 0x11, b[3] == 0x5c { return allowTailnet }  // Tailscale's fd7a:115c::/32
        if b[0] & 0xfe == 0xfc { return false }  // fc00::/7, unique local
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return false }  // fe80::/10, link-local
        if b[0] == 0xff { return false }  // multicast
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0d, b[3] == 0xb8 { return false }  // 2001:db8::/32, documentation
        return b[0] & 0xe0 == 0x20  // 2000::/3, global unicast
    }

    static func ipv4(_ text: String) -> [UInt8]? { IPAddressBytes.ipv4(text) }

    static func ipv6(_ text: String) -> [UInt8]? { IPAddressBytes.ipv6(text) }

    /// The addresses `host` resolves to (getaddrinfo, on NIO's blocking-I/O pool), as text.
    static func resolve(_ host: String) async -> [String] {
        (try? await NIOThreadPool.singleton.runIfActive { lookup(host) }) ?? []
    }

    private static func lookup(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var found: [String] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var bytes: [UInt8] = []
            if let address = current.pointee.ai_addr {
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                        withUnsafeBytes(of: v4.pointee.sin_addr) { Array($0) }
                    }
                case AF_INET6:
                    bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                        withUnsafeBytes(of: v6.pointee.sin6_addr) { Array($0) }
                    }
                default: break
                }
            }
            if let text = IPAddressBytes.text(bytes), !text.isEmpty { found.append(text) }
            entry = current.pointee.ai_next
        }
        return found
    }
}
