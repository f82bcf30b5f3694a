#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP address written as text, as its bytes in network order (`inet_pton`): 4 for IPv4, 16 for
/// IPv6; nil for anything else (a name, a zone index, an address with a port or brackets). The one
/// parser behind the address rules: public addresses, where answers may go, and trusted proxies.
public enum IPAddressBytes {
    public static func ipv4(_ text: String) -> [UInt8]? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: address.s_addr) { Array($0) }
    }

    public static func ipv6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: address) { Array($0) }
    }
}
