import Foundation

/// Which join URLs an incoming invite may carry. The owner clicks them, so only web links to a place a
/// gateway can be: `https` anywhere, or plain `http` on loopback or inside a Tailscale tailnet (its
/// 100.64.0.0/10 addresses and `*.ts.net` names), where the network itself is private. Never
/// `javascript:`, `data:`, `file:` or anything else; no user info, no white space or control characters.
public enum JoinURLRule {
    public static func isAcceptable(_ text: String) -> Bool {
        guard text.utf8.count <= CrowEnvelope.maxJoinURL,
            !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f || $0.properties.isWhitespace }),
            let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty,
            components.user == nil, components.password == nil
        else { return false }
        switch scheme {
        case "https": return true
        case "http": return isPrivateNetwork(host)
        default: return false
        }
    }

    static func isPrivateNetwork(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") || host == "[::1]" || host == "::1" { return true }
        if host.hasSuffix(".ts.net") { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 != nil && (0...255).contains($0!) }) else { return false }
        let a = octets[0]!, b = octets[1]!
        return a == 127 || (a == 100 && (64...127).contains(b))
    }
}
