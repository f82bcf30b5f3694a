@testable import CrowSecurity
@testable import Signaling
import Testing

@testable import Gateway

/// Per-client failure limits hold when an attacker rotates addresses: an IPv6 /64 is one client, busy
/// clients are not forgotten when many others come and go, and a global ceiling caps everyone.
@Suite struct ThrottleChurnTests {
    @Test func ipv6AddressesInOneSlash64AreOneClient() {
        #expect(ClientAddress.bucket("2001:db8:1:2:aaaa::1") == ClientAddress.bucket("2001:db8:1:2:bbbb:cccc:dddd:2"))
        #expect(ClientAddress.bucket("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(ClientAddress.bucket("2001:db8:1:3::1") != ClientAddress.bucket("2001:db8:1:2::1"))
        #expect(ClientAddress.bucket("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(ClientAddress.bucket("fe80::1%eth0") == "fe80:0:0:0::/64")
        #expect(ClientAddress.bucket("192.0.2.1") == "192.0.2.1")
        #expect(ClientAddress.expand("::") == Array(repeating: 0, count: 8))
        #expect(ClientAddress.expand("1:2:3:4:5:6:7:8:9") == nil)
        #expect(ClientAddress.expand("1::2::3") == nil)
        #expect(ClientAddress.expand("12345::") == nil)
    }

    /// Open sockets (signaling and the `/nostr` inbox) are counted per client too: a host that owns a
    /// /64 cannot open more by changing its address.
    @Test func openSocketsFromOneSlash64AreCountedTogether() {
        var limits = AbuseGuard.Limits()
        limits.connectionsPerIP = 4
        let guardian = AbuseGuard(limits: limits)
        for n in 0..<4 { #expect(guardian.openConnection(ip: "2001:db8:7:8::\(n + 1)")) }
        #expect(!guardian.openConnection(ip: "2001:db8:7:8:ffff::9"))
        #expect(guardian.openConnection(ip: "2001:db8:7:9::1"))
        guardian.closeConnection(ip: "2001:db8:7:8::3")
        #expect(guardian.openConnections(ip: "2001:db8:7:8::77") == 3)
        #expect(guardian.openConnection(ip: "2001:db8:7:8::abcd"))
    }

    @Test func rotatingIPv6AddressesMeetThePerClientLimit() {
        var limits = AbuseGuard.Limits()
        limits.failuresPerIP = 10
        let guardian = AbuseGuard(limits: limits)
        for n in 0..<10 {
            let ip = "2001:db8:aa:bb:\(String(n, radix: 16)):1:2:3"
            #expect(guardian.blockedFor(ip: ip, now: 1_000) == nil)
            guardian.recordFailure(ip: ip, now: 1_000)
        }
        #expect(guardian.blockedFor(ip: "2001:db8:aa:bb:ffff::9", now: 1_000) == 60)
        #expect(guardian.blockedFor(ip: "2001:db8:aa:bc::1", now: 1_000) == nil)
    }

    @Test func aBusyClientIsNotForgottenWhenOthersChurn() {
        var limits = AbuseGuard.Limits()
        limits.failuresPerIP = 10
        limits.maxClients = 100
        limits.failuresGlobal = 1_000_000  // this test is about the per-client table only
        let guardian = AbuseGuard(limits: limits)
        var now: Int64 = 1_000
        for n in 0..<1_000 {
            guardian.recordFailure(ip: "198.51.\(n / 256).\(n % 256)", now: now)
            // The attacker fails every so often; it stays among the recently used.
            if n % 50 == 0 { guardian.recordFailure(ip: "203.0.113.66", now: now) }
            now += 10
            #expect(guardian.trackedClients <= 100)
        }
        #expect(guardian.blockedFor(ip: "203.0.113.66", now: now) != nil)
        // Someone who failed once long ago among the churn is forgotten, not blocked.
        #expect(guardian.blockedFor(ip: "198.51.0.0", now: now) == nil)
    }

    @Test func aGlobalCeilingCapsFailuresFromManyAddresses() {
        var limits = AbuseGuard.Limits()
        limits.failuresGlobal = 50
        let guardian = AbuseGuard(limits: limits)
        for n in 0..<50 {
            #expect(guardian.blockedFor(ip: "10.1.0.\(n)", now: 5_000) == nil)
            guardian.recordFailure(ip: "10.1.0.\(n)", now: 5_000)
        }
        #expect(guardian.blockedFor(ip: "10.2.0.1", now: 5_000) == 60)
        // The window slides: a minute later everyone may try again.
        #expect(guardian.blockedFor(ip: "10.2.0.1", now: 65_000) == nil)
    }

    @Test func failedLoginsHaveAGlobalCeilingToo() {
        let throttle = LoginThrottle(limit: 5, window: 60_000, globalLimit: 20, clock: { 1_000 })
        for n in 0..<20 { #expect(throttle.begin("10.9.0.\(n)") == .allowed) }
        #expect(throttle.begin("10.9.1.1") == .refused(retryAfter: 60))
        // A success gives its attempt back.
        throttle.succeeded("10.9.0.3")
        #expect(throttle.begin("10.9.1.1") == .allowed)
    }
}
