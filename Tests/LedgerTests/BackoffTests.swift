@testable import Ledger
import Synchronization
import Testing

/// The one retry policy: doubling from the base to the cap, a bounded jitter band, no trap on any
/// number of failures, and waits taken on the clock it is given.
@Suite struct BackoffTests {
    /// A clock that records what it is asked to sleep and returns at once.
    final class RecordingClock: Clock, Sendable {
        typealias Duration = Swift.Duration
        typealias Instant = ContinuousClock.Instant
        let slept = Mutex<[Duration]>([])
        var now: Instant { ContinuousClock.now }
        var minimumResolution: Duration { .nanoseconds(1) }
        func sleep(until deadline: Instant, tolerance: Duration?) async throws {
            slept.withLock { $0.append(deadline - ContinuousClock.now) }
        }
    }

    @Test func delaysDoubleFromTheBaseUpToTheCap() {
        let backoff = Backoff(base: .seconds(1), cap: .seconds(16))
        let delays = (1...7).map { backoff.delay(afterFailures: $0, random: 0) }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(16), .seconds(16)])
        // Zero or a negative count is the first failure.
        #expect(backoff.delay(afterFailures: 0, random: 0) == .seconds(1))
        #expect(backoff.delay(afterFailures: -5, random: 0) == .seconds(1))
    }

    @Test func anyNumberOfFailuresStaysAtTheCapWithoutTrapping() {
        let backoff = Backoff(base: .milliseconds(250), cap: .seconds(30), jitter: 0.5)
        #expect(backoff.delay(afterFailures: .max, random: 0) == .seconds(30))
        #expect(backoff.delay(afterFailures: .max, random: 1) == .seconds(45))
        #expect(backoff.delayMilliseconds(afterFailures: .max, random: -1) == 15_000)
    }

    @Test func jitterSpreadsEachDelayWithinItsBand() {
        let backoff = Backoff(base: .seconds(4), cap: .seconds(4), jitter: 0.25)
        #expect(backoff.delay(afterFailures: 1, random: -1) == .seconds(3))
        #expect(backoff.delay(afterFailures: 1, random: 1) == .seconds(5))
        // Out-of-range inputs are clamped, not trusted.
        #expect(backoff.delay(afterFailures: 1, random: 9) == .seconds(5))
        #expect(Backoff(base: .seconds(1), cap: .seconds(1), jitter: 7).jitter == 1)
        for _ in 0..<200 {
            let delay = backoff.delay(afterFailures: 1)
            #expect(delay >= .seconds(3) && delay <= .seconds(5))
        }
        // A cap below the base is the base.
        #expect(Backoff(base: .seconds(2), cap: .seconds(1)).cap == .seconds(2))
    }

    @Test func waitsAreTakenOnTheGivenClock() async throws {
        let clock = RecordingClock()
        let backoff = Backoff(base: .seconds(10), cap: .seconds(40))
        for failures in 1...4 { try await backoff.wait(afterFailures: failures, on: clock) }
        let slept = clock.slept.withLock { $0 }
        #expect(slept.count == 4)
        // The clock was asked for deadlines 10, 20, 40 and 40 s ahead (less the time the call took).
        for (asked, expected) in zip(slept, [10, 20, 40, 40]) {
            #expect(asked > .seconds(expected) - .seconds(1) && asked <= .seconds(expected))
        }
    }
}
