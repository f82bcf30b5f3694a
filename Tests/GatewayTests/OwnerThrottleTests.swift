import Decisions
import Foundation
import OwnerStore
import HummingbirdTesting
import Synchronization
import CallStore
import Testing

@testable import Gateway

/// Login attempts are throttled per client IP, in memory.
@Suite struct OwnerThrottleTests {
    final class ManualClock: Sendable {
        let now = Mutex<Int64>(1_000_000)
        func advance(seconds: Int64) { now.withLock { $0 += seconds * 1000 } }
        var read: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
    }

    @Test func fiveFailuresInTheWindowThenRefusedUntilTheOldestLeaves() {
        let clock = ManualClock()
        let throttle = LoginThrottle(limit: 5, window: 900_000, clock: clock.read)
        for _ in 0..<5 {
            #expect(throttle.begin("203.0.113.7") == .allowed)
            clock.advance(seconds: 60)
        }
        // 5 minutes after the first failure, the sixth is refused until 15 minutes after the first.
        #expect(throttle.begin("203.0.113.7") == .refused(retryAfter: 600))
        #expect(throttle.failures("203.0.113.7") == 5)
        // Another address is not affected.
        #expect(throttle.begin("198.51.100.1") == .allowed)
        #expect(throttle.begin("2001:db8::1") == .allowed)
        clock.advance(seconds: 599)
        #expect(throttle.begin("203.0.113.7") == .refused(retryAfter: 1))
        clock.advance(seconds: 1)
        // The first failure has left the window: one more attempt, then refused again.
        #expect(throttle.begin("203.0.113.7") == .allowed)
        #expect(throttle.begin("203.0.113.7") == .refused(retryAfter: 60))
    }

    @Test func aSuccessForgetsTheFailuresOfThatClient() {
        let clock = ManualClock()
        let throttle = LoginThrottle(limit: 3, window: 60_000, clock: clock.read)
        for _ in 0..<2 { #expect(throttle.begin("a") == .allowed) }
        #expect(throttle.begin("b") == .allowed)
        #expect(throttle.begin("a") == .allowed)
        throttle.succeeded("a")
        #expect(throttle.failures("a") == 0)
        #expect(throttle.failures("b") == 1)
        for _ in 0..<3 { #expect(throttle.begin("a") == .allowed) }
        #expect(throttle.begin("a") == .refused(retryAfter: 60))
    }

    @Test func concurrentAttemptsCannotSlipPastTheLimit() async {
        let clock = ManualClock()
        let throttle = LoginThrottle(limit: 5, window: 60_000, clock: clock.read)
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<100 { group.addTask { throttle.begin("203.0.113.9") == .allowed } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(allowed == 5)
    }

    @Test func memoryStaysBoundedUnderManyAddresses() {
        let clock = ManualClock()
        let throttle = LoginThrottle(limit: 5, window: 3_600_000, globalLimit: 100_000, maxClients: 100, clock: clock.read)
        for index in 0..<1000 {
            _ = throttle.begin("10.0.\(index / 256).\(index % 256)")
            clock.advance(seconds: 1)
            #expect(throttle.trackedClients <= 100)
        }
        // The newest clients are still counted; the oldest were forgotten.
        #expect(throttle.failures("10.0.3.231") == 1)
        #expect(throttle.failures("10.0.0.0") == 0)
        let remembered = (0..<1000).filter { throttle.failures("10.0.\($0 / 256).\($0 % 256)") == 1 }.count
        #expect((90...100).contains(remembered))
        clock.advance(seconds: 3600)
        #expect(throttle.failures("10.0.3.231") == 0)
    }

    @Test func theThrottleAndSessionSettingsComeFromTheEnvironment() throws {
        let configuration = try GatewayConfiguration.fromEnvironment([
            "CROW_CALLS_LOGIN_ATTEMPTS": "3", "CROW_CALLS_LOGIN_WINDOW": "60", "CROW_CALLS_SESSION_TTL": "3600",
        ])
        #expect(configuration.loginAttempts == 3)
        #expect(configuration.loginWindow == 60_000)
        #expect(configuration.sessionLifetime == 3_600_000)
        let defaults = GatewayConfiguration()
        #expect(defaults.loginAttempts == 5 && defaults.loginWindow == 900_000 && defaults.sessionLifetime == 30 * 86_400_000)
        for (name, value) in [("CROW_CALLS_LOGIN_ATTEMPTS", "0"), ("CROW_CALLS_LOGIN_WINDOW", "soon"), ("CROW_CALLS_SESSION_TTL", "10")] {
            let error = #expect(throws: ConfigurationError.self) { try GatewayConfiguration.fromEnvironment([name: value]) }
            #expect(error?.setting == name)
        }
    }

    /// On the real server: after the limit, 429 `rate_limited` with Retry-After, even with the right password.
    @Test func theServerAnswers429AfterTheLimit() async throws {
        let harness = try OwnerHarness { $0.loginAttempts = 3 }
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            _ = try await harness.setUpOwner(client)
            let wrong = OwnerHarness.formBody(["password": "definitely wrong"])
            for _ in 0..<3 {
                try await client.execute(uri: "/login", method: .post, headers: OwnerHarness.form(), body: wrong) {
                    #expect($0.status == .unauthorized)
                }
            }
            let right = try OwnerHarness.jsonBody(["password": OwnerHarness.password])
            try await client.execute(uri: "/login", method: .post, headers: OwnerHarness.json(), body: right) { response in
                #expect(response.status == .tooManyRequests)
                #expect(OwnerHarness.errorCode(response) == "rate_limited")
                let retryAfter = try #require(response.headers[.retryAfter].flatMap { Int($0) })
                #expect((1...900).contains(retryAfter))
                #expect(OwnerHarness.sessionCookie(response) == nil)
            }
            try await client.execute(uri: "/login", method: .post, headers: OwnerHarness.form(), body: wrong) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] != nil)
                #expect(String(buffer: response.body).contains("Too many failed attempts"))
            }
        }
    }

    /// Constant-ish time: a right password, a wrong one, an empty one and a login before any owner exists
    /// each cost exactly one full KDF computation at the stored cost (timing itself is too noisy to assert
    /// while other suites run in parallel).
    @Test func everyLoginAttemptCostsOneFullKDF() async throws {
        let hasher = OwnerPasswordHasher()
        let stored = try await hasher.hash(OwnerHarness.password)
        #expect(stored.logN == 15 && stored.r == 8 && stored.p == 1)
        var before = hasher.derivations
        for (password, target, expected) in [
            (OwnerHarness.password, stored, true), ("not the password", stored, false), ("", stored, false),
            (OwnerHarness.password, nil, false), (String(repeating: "x", count: 5000), stored, false),
        ] as [(String, OwnerPasswordHash?, Bool)] {
            #expect(try await hasher.verify(password, against: target) == expected)
            #expect(hasher.derivations == before + 1)
            before = hasher.derivations
        }
        // A stored hash with a cost out of range fails closed (and still costs one KDF at the current cost).
        var absurd = stored
        absurd.logN = 40
        #expect(try await !hasher.verify(OwnerHarness.password, against: absurd))
        #expect(hasher.derivations == before + 1)
        #expect(!hasher.needsRehash(stored))
        var weaker = stored
        weaker.logN = 14
        #expect(hasher.needsRehash(weaker))
        #expect(try await OwnerPasswordHasher(cost: .init(logN: 14, r: 8, p: 1)).verify(OwnerHarness.password, against: weaker) == false)
    }
}
