import Testing

@testable import Invites

/// Where an answer to a call goes besides relays: the inbox of the gateway whose join URL came with it.
@Suite struct AnswerSenderTests {
    @Test func theCallersInboxComesFromTheJoinURL() {
        #expect(AnswerSender.inbox(forJoinURL: "https://calls.example.net/calls?room=a&token=b") == "wss://calls.example.net/nostr")
        #expect(AnswerSender.inbox(forJoinURL: "https://calls.example.net:8443/x/calls?room=a#f") == "wss://calls.example.net:8443/nostr")
        #expect(AnswerSender.inbox(forJoinURL: "http://127.0.0.1:8444/calls?room=a&token=b") == "ws://127.0.0.1:8444/nostr")
        // Only links the receive rules accept lead anywhere.
        for bad in ["javascript:alert(1)", "http://evil.example/calls", "data:text/html,x", ""] {
            #expect(AnswerSender.inbox(forJoinURL: bad) == nil, "\(bad)")
        }
    }

    /// The join URL is the contact's word: its host gets a connection only when other machines could
    /// use it. Loopback, private, link-local (the metadata service) and the like are refused.
    @Test func onlyHostsOtherMachinesCanUseGetTheAnswer() async {
        let refused = [
            "127.0.0.1", "127.9.9.9", "::1", "[::1]", "0.0.0.0", "::", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
            "fe80::1", "fd00:ec2::254", "fc00::1", "224.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
            "100.100.100.100", "localhost", "calls.localhost", "box.tail1234.ts.net", "",
        ]
        for host in refused {
            #expect(await InboxAddressRule.permits(host: host, allowTailnet: false) == false, "\(host)")
        }
        for host in ["1.1.1.1", "8.8.8.8", "2606:4700:4700::1111", "[2606:4700:4700::1111]", "::ffff:1.1.1.1"] {
            #expect(await InboxAddressRule.permits(host: host, allowTailnet: false), "\(host)")
        }
        // A gateway on a tailnet answers callers on it; loopback stays refused.
        for host in ["100.100.100.100", "box.tail1234.ts.net", "fd7a:115c:a1e0::1"] {
            #expect(await InboxAddressRule.permits(host: host, allowTailnet: true), "\(host)")
        }
        #expect(await InboxAddressRule.permits(host: "127.0.0.1", allowTailnet: true) == false)
        // Which gateways are on a tailnet: by their own public address, configured or saved, as it is now.
        let address = PublicAddress(configured: nil, saved: nil, listening: "http://127.0.0.1:8444")
        #expect(!address.isOnTailnet)
        address.setSaved("https://box.tail1234.ts.net")
        #expect(address.isOnTailnet)
        address.setSaved("http://100.101.102.103:8444")
        #expect(address.isOnTailnet)
        address.setSaved("https://calls.example.net")
        #expect(!address.isOnTailnet)
        #expect(PublicAddress(configured: "https://box.tail1234.ts.net/", saved: "https://calls.example.net", listening: "").isOnTailnet)
    }
}
