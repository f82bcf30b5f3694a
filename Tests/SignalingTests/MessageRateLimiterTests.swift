import Testing

@testable import Signaling

/// The per-socket message rate: strikes for frames over the rate decay, so bursts in a long call are
/// forgiven while a sustained flood is closed.
@Suite struct MessageRateLimiterTests {
    @Test func occasionalBurstsInALongCallNeverClose() {
        let limits = AbuseGuard.Limits()  // 50/s, burst 200, 50 strikes draining 1/s
        var now: Int64 = 0
        var limiter = MessageRateLimiter(limits: limits, now: now)
        var slowDowns = 0
        // Three hours; once a minute, a burst 30 frames over the allowance.
        for _ in 0..<180 {
            for _ in 0..<230 {
                switch limiter.frame(now: now) {
                case .accept: break
                case .slowDown: slowDowns += 1
                case .close: Issue.record("closed a socket that only had occasional bursts"); return
                }
            }
            now += 60_000
        }
        // The bursts were over the rate (and told so), 30 frames each time.
        #expect(slowDowns == 180 * 30)
    }

    @Test func aSustainedFloodCloses() {
        var now: Int64 = 0
        var limiter = MessageRateLimiter(limits: AbuseGuard.Limits(), now: now)
        var verdicts: [MessageRateLimiter.Verdict] = []
        // 1,000 frames a second.
        for _ in 0..<2_000 {
            verdicts.append(limiter.frame(now: now))
            if verdicts.last == .close { break }
            now += 1
        }
        #expect(verdicts.last == .close)
        #expect(verdicts.filter { $0 == .slowDown }.count >= 50)
    }
}
