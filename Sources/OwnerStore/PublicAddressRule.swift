import CrowSecurity
import Foundation

/// Which base URL may be the gateway's public address: the address other people's browsers and
/// gateways reach it at, put into every invite and guest link.
///
/// - `https://` to a host other machines can reach. Loopback (`localhost`, 127.0.0.0/8, `::1`), the
///   unspecified address (`0.0.0.0`, `::`), link-local and multicast addresses are refused: a link to
///   them opens the reader's own machine, or nothing.
/// - `http://` only to a Tailscale tailnet host (100.64.0.0/10 or `*.ts.net`). A contact's gateway
///   accepts plain-http join links from nowhere else, and browsers give camera and microphone only to
///   secure origins, which on a tailnet's own addresses means the gateway's TLS or `tailscale serve`.
/// - No user name, password, path (other than `/`), query or fragment; at most 200 characters.
///
/// The checked form is lower-case in scheme and host, with no trailing slash.
public enum PublicAddressRule {
    public static let maxLength = 200

    /// `normalize`, with nil or blank text meaning "no address" (nil).
    public static func checked(_ text: String?) throws(OwnerError) -> String? {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return try normalize(text)
    }

    public static func normalize(_ text: String) throws(OwnerError) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .invalidPublicAddress("the public address is empty") }
        guard trimmed.utf8.count <= maxLength else {
            throw .invalidPublicAddress("the public address is longer than \(maxLength) characters")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f || $0 == "\\" }),
            let components = URLComponents(string: trimmed),
            let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let rawHost = components.host, !rawHost.isEmpty
        else {
            throw .invalidPublicAddress("the public address must look like https://calls.example.net or https://192.168.1.20:8444")
        }
        guard components.user == nil, components.password == nil, components.query == nil, components.fragment == nil,
            components.path.isEmpty || components.path == "/"
        else {
            throw .invalidPublicAddress("the public address is a scheme, a host and a port only, with no path")
        }
        let host = rawHost.lowercased()
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if isUnreachable(bare) {
            throw .invalidPublicAddress(
                "\(host) is this machine's own address (or none): a link to it opens the reader's own computer. Use the name or address other people reach this gateway at"
            )
        }
        if scheme == "http" && !isTailnet(bare) {
            throw .invalidPublicAddress(
                "plain http:// works only inside a Tailscale tailnet (100.64.0.0/10 or *.ts.net); use https:// (serve with TLS, or put a reverse proxy in front)"
            )
        }
        var normalized = "\(scheme)://\(host)"
        if let port = components.port {
            guard (1...65535).contains(port) else { throw .invalidPublicAddress("the port must be between 1 and 65535") }
            if !(scheme == "https" && port == 443) && !(scheme == "http" && port == 80) { normalized += ":\(port)" }
        }
        return normalized
    }

    /// Loopback, unspecified, link-local or multicast: no one else can open a link to it.
    public static func isUnreachable(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        if let v4 = ipv4(host) {
            return v4[0] == 127 || v4[0] == 0 || (v4[0] == 169 && v4[1] == 254) || v4[0] >= 224
        }
        if let v6 = ipv6(host) {
            if v6[0..<10].allSatisfy({ $0 == 0 }), v6[10] == 0xff, v6[11] == 0xff {
                return isUnreachable(v6[12..<16].map(String.init).joined(separator: "."))
            }
            if v6[0..<15].allSatisfy({ $0 == 0 }) { return true }  // :: and ::1
            if v6[0] == 0xfe && v6[1] & 0xc0 == 0x80 { return true }  // fe80::/10
            return v6[0] == 0xff  // multicast
        }
        return false
    }

    /// A Tailscale name or address, as a contact's gateway recognises it for plain-http join links.
    public static func isTailnet(_ host: String) -> Bool {
        if host.hasSuffix(".ts.net") { return true }
        guard let v4 = ipv4(host) else { return false }
        return v4[0] == 100 && (64...127).contains(v4[1])
    }

    static func ipv4(_ text: String) -> [UInt8]? { IPAddressBytes.ipv4(text) }

    static func ipv6(_ text: String) -> [UInt8]? { IPAddressBytes.ipv6(text) }
}
