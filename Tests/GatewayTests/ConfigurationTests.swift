import Foundation
import Gateway
import Ledger
import Testing

/// Settings from the environment (docs/CONFIGURATION.md): defaults, and a clear error naming the setting when wrong.
@Suite struct ConfigurationTests {
    @Test func defaultsAreTheEmbeddedOnes() throws {
        let configuration = try GatewayConfiguration.fromEnvironment([:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8444)
        #expect(configuration.ledgerPath == "./data/ledger.sqlite")
        #expect(configuration.synchronous == .full)
        #expect(configuration.maxPeers == 4)
        #expect(configuration.relayKeepOpenSeconds == 300)
        try configuration.validate()
    }

    @Test func environmentValuesAreRead() throws {
        let configuration = try GatewayConfiguration.fromEnvironment([
            "CROW_CALLS_HOST": "0.0.0.0",
            "CROW_CALLS_PORT": " 9000 ",
            "CROW_CALLS_DATA": "/var/lib/crow",
            "CROW_CALLS_MAX_PEERS": "8",
            "CROW_CALLS_SYNCHRONOUS": "normal",
            "CROW_CALLS_RING_WINDOW": "30",
            "CROW_GATEWAY_URL": "https://calls.example.net",
            "CROW_CALLS_DEBUG": "yes",
            "CROW_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8",
            "CROW_NOSTR_RELAY_KEEP_OPEN": "0",
        ])
        #expect(configuration.relayKeepOpenSeconds == 0)
        #expect(configuration.debugHooks)
        #expect(configuration.trustedProxies.contains("10.1.2.3") && !configuration.trustedProxies.contains("192.0.2.1"))
        #expect(!GatewayConfiguration().debugHooks && GatewayConfiguration().trustedProxies.isEmpty)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.port == 9000)
        #expect(configuration.ledgerPath == "/var/lib/crow/ledger.sqlite")
        #expect(configuration.maxPeers == 8)
        #expect(configuration.synchronous == .normal)
        #expect(configuration.ringWindow == 30_000)
        try configuration.validate()
    }

    @Test(arguments: [
        ("CROW_CALLS_PORT", "eighty"),
        ("CROW_CALLS_PORT", "70000"),
        ("CROW_CALLS_MAX_PEERS", "1"),
        ("CROW_CALLS_MAX_PEERS", "4; DROP TABLE"),
        ("CROW_CALLS_SYNCHRONOUS", "OFF"),
        ("CROW_CALLS_ENABLED", "maybe"),
        ("CROW_CALLS_DEBUG", "sometimes"),
        ("CROW_TRUSTED_PROXIES", "proxy.example.net"),
        ("CROW_TRUSTED_PROXIES", "10.0.0.0/40"),
        ("CROW_CALLS_TOKEN_TTL", "-5"),
        ("CROW_CALLS_RING_WINDOW", "999999"),
        ("CROW_NOSTR_CONTACT_INVITES", "0"),
        ("CROW_NOSTR_CONTACT_INVITES", "99999999999999999999999"),
        ("CROW_NOSTR_RELAY_KEEP_OPEN", "-1"),
        ("CROW_NOSTR_RELAY_KEEP_OPEN", "3601"),
    ])
    func badEnvironmentValuesNameTheSetting(setting: String, value: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.fromEnvironment([setting: value])
        }
        #expect(error?.setting == setting)
        #expect(error?.value == value)
        #expect(error?.description.contains(setting) == true)
    }

    @Test func badCombinationsAreRefusedByValidate() {
        var tlsHalf = GatewayConfiguration()
        tlsHalf.tlsCertificate = "/etc/ssl/cert.pem"
        #expect(throws: ConfigurationError.self) { try tlsHalf.validate() }

        var unreadable = GatewayConfiguration()
        unreadable.tlsCertificate = "/nonexistent/cert.pem"
        unreadable.tlsKey = "/nonexistent/key.pem"
        let error = #expect(throws: ConfigurationError.self) { try unreadable.validate() }
        #expect(error?.reason == "cannot be read")

        var badURL = GatewayConfiguration()
        badURL.gatewayURL = "javascript:alert(1)"
        #expect(throws: ConfigurationError.self) { try badURL.validate() }
    }

    @Test func nostrRelaysAreWebSocketURLs() throws {
        let good = try GatewayConfiguration.fromEnvironment(["CROW_NOSTR_RELAYS": " wss://relay.example , ws://127.0.0.1:7777 "])
        #expect(good.nostrRelays == ["wss://relay.example", "ws://127.0.0.1:7777"])
        try good.validate()
        for bad in ["https://relay.example", "wss://", "relay.example", "wss://user:pw@relay.example"] {
            do {
                try GatewayConfiguration.fromEnvironment(["CROW_NOSTR_RELAYS": "wss://ok.example,\(bad)"]).validate()
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(error.setting == "CROW_NOSTR_RELAYS" && error.value == bad)
            }
        }
    }

    @Test func ntfyAndVapidSettingsAreReadInBothNamingsAndChecked() throws {
        let ours = try GatewayConfiguration.fromEnvironment([
            "CROW_NTFY_URL": "https://ntfy.example.net/calls", "CROW_NTFY_TOKEN": "tk_1",
            "CROW_VAPID_PRIVATE_KEY": "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw", "CROW_VAPID_SUBJECT": "mailto:me@example.net",
        ])
        #expect(ours.ntfyURL == "https://ntfy.example.net/calls" && ours.ntfyToken == "tk_1")
        #expect(ours.vapidSubject == "mailto:me@example.net")
        try ours.validate()
        // Crow's names: a server and a topic.
        let crow = try GatewayConfiguration.fromEnvironment([
            "NTFY_URL": "https://ntfy.example.net/", "NTFY_TOPIC": "crow", "NTFY_TOKEN": "tk_2", "VAPID_SUBJECT": "https://me.example.net",
        ])
        #expect(crow.ntfyURL == "https://ntfy.example.net/crow" && crow.ntfyToken == "tk_2" && crow.vapidSubject == "https://me.example.net")
        #expect(try GatewayConfiguration.fromEnvironment([:]).vapidKeyPath == "./data/vapid.key")
        for (name, value) in [
            ("CROW_NTFY_URL", "ftp://ntfy.example.net/calls"), ("CROW_NTFY_URL", "https://ntfy.example.net"),
            ("CROW_VAPID_PRIVATE_KEY", "not-a-key"), ("CROW_VAPID_SUBJECT", "me@example.net"),
        ] {
            let configuration = try GatewayConfiguration.fromEnvironment([name: value])
            #expect(throws: ConfigurationError.self, "\(name)=\(value)") { try configuration.validate() }
            // A refused key is never echoed.
            if name == "CROW_VAPID_PRIVATE_KEY" {
                do { try configuration.validate() } catch { #expect(!"\(error)".contains(value)) }
            }
        }
    }
}
