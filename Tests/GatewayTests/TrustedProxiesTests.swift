import Gateway
import Testing

/// Whose `X-Forwarded-For` counts, and which client it names.
@Suite struct TrustedProxiesTests {
    static func proxies(_ text: String) throws -> TrustedProxies {
        try TrustedProxies.parse(text).get()
    }

    @Test func rangesAndAddressesParseAndMatch() throws {
        let trusted = try Self.proxies(" 127.0.0.1, ::1 ,10.0.0.0/8, 2001:db8:aa::/48, 192.168.7.0/25 ")
        for inside in ["127.0.0.1", "::1", "10.200.3.4", "2001:db8:aa:1::5", "192.168.7.127", "::ffff:10.1.1.1"] {
            #expect(trusted.contains(inside), "\(inside)")
        }
        for outside in ["127.0.0.2", "11.0.0.1", "2001:db8:ab::1", "192.168.7.128", "unknown", "", "10.0.0.1/8"] {
            #expect(!trusted.contains(outside), "\(outside)")
        }
        #expect(TrustedProxies.none.isEmpty && !TrustedProxies.none.contains("127.0.0.1"))
        for bad in ["localhost", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "1.2.3", "10.0.0.0/8/8"] {
            guard case .failure = TrustedProxies.parse(bad) else {
                Issue.record("accepted \(bad)")
                continue
            }
        }
        let many = (0...TrustedProxies.maxEntries).map { "10.0.0.\($0 % 250)" }.joined(separator: ",")
        guard case .failure = TrustedProxies.parse(many) else {
            Issue.record("accepted more than \(TrustedProxies.maxEntries) entries")
            return
        }
    }

    @Test func aClientThatIsNotAProxyIsItselfWhateverItWrites() throws {
        let trusted = try Self.proxies("127.0.0.1")
        let direct = trusted.resolve(peer: "198.51.100.7", forwardedFor: ["203.0.113.9"], forwardedProto: "https")
        #expect(direct.client == "198.51.100.7")
        #expect(!direct.https)
        // With no proxies configured, nobody's headers count.
        #expect(TrustedProxies.none.resolve(peer: "127.0.0.1", forwardedFor: ["203.0.113.9"], forwardedProto: "https").client == "127.0.0.1")
    }

    @Test func behindTrustedProxiesTheFirstUntrustedHopFromTheRightIsTheClient() throws {
        let trusted = try Self.proxies("127.0.0.1, 10.0.0.0/8")
        // nginx appends the address it saw to whatever the client sent: the spoofed part stays on the left.
        let spoofed = trusted.resolve(peer: "127.0.0.1", forwardedFor: ["203.0.113.9, 198.51.100.7"], forwardedProto: "https")
        #expect(spoofed.client == "198.51.100.7")
        #expect(spoofed.https)
        // Two proxies in a row, over two header lines, IPv6 with brackets and ports.
        let chained = trusted.resolve(peer: "127.0.0.1", forwardedFor: ["[2001:db8::7]:51000", "10.1.2.3:443"], forwardedProto: "http")
        #expect(chained.client == "2001:db8::7")
        #expect(!chained.https)
        // Junk ends the walk at the last hop that could be believed.
        #expect(trusted.resolve(peer: "127.0.0.1", forwardedFor: ["198.51.100.7, unknown, 10.9.9.9"], forwardedProto: nil).client == "10.9.9.9")
        // No header: the proxy itself is all there is.
        #expect(trusted.resolve(peer: "127.0.0.1", forwardedFor: [], forwardedProto: nil).client == "127.0.0.1")
        // Only `https` (the first value, any case) means HTTPS.
        #expect(trusted.resolve(peer: "127.0.0.1", forwardedFor: [], forwardedProto: "HTTPS, http").https)
        #expect(!trusted.resolve(peer: "127.0.0.1", forwardedFor: [], forwardedProto: "wss").https)
        // A very long header is read from its right end only.
        let long = Array(repeating: "203.0.113.1", count: 500).joined(separator: ",") + ", 198.51.100.8"
        #expect(trusted.resolve(peer: "127.0.0.1", forwardedFor: [long], forwardedProto: nil).client == "198.51.100.8")
    }
}
