import Foundation
import Ledger
import Projections
import Testing
import TestSupport

/// The one rule for "still ringing", at its edges: the boundary instant, a call acted on, and times a
/// copied or hand-edited ledger could hold (no arithmetic may trap).
@Suite struct RingWindowTests {
    static let window = RingWindow(60_000)
    static let received: Int64 = 1_780_000_000_000

    @Test func aCallRingsUpToButNotAtTheBoundaryInstant() {
        let w = Self.window
        #expect(w.expiry(receivedAt: Self.received) == Self.received + 60_000)
        #expect(w.rings(receivedAt: Self.received, now: Self.received))
        #expect(w.rings(receivedAt: Self.received, now: Self.received + 59_999))
        #expect(!w.rings(receivedAt: Self.received, now: Self.received + 60_000))
        #expect(w.status(.ringing, receivedAt: Self.received, now: Self.received + 59_999) == .ringing)
        #expect(w.status(.ringing, receivedAt: Self.received, now: Self.received + 60_000) == .missed)
        // The query bound agrees: at `now`, the earliest call that still rings was received 59,999 ms ago.
        #expect(w.earliestRinging(now: Self.received + 60_000) == Self.received + 1)
        #expect(w.firstExpiry(receivedAt: [Self.received + 5, Self.received, Self.received + 9]) == Self.received + 60_000)
        #expect(w.firstExpiry(receivedAt: []) == .max)
    }

    @Test(arguments: [IncomingCallStatus.accepted, .declined, .dismissed, .missed])
    func aCallActedOnDoesNotRingInsideTheWindow(status: IncomingCallStatus) {
        let w = Self.window
        #expect(!w.rings(status, receivedAt: Self.received, now: Self.received + 1))
        #expect(w.status(status, receivedAt: Self.received, now: Self.received + 1) == status)
        #expect(w.status(status, receivedAt: Self.received, now: Self.received + 600_000) == status)
        #expect(w.rings(.ringing, receivedAt: Self.received, now: Self.received + 1))
    }

    static let extremes: [Int64] = [.min, .min + 1, -60_001, -60_000, -1, 0, 1, 59_999, 60_000, received, .max - 60_000, .max - 1, .max]

    @Test(arguments: [Int64(60_000), 0, -60_000, .max, .min])
    func extremeTimesNeverTrapAndTheQueryBoundMatchesTheRule(length: Int64) {
        let w = RingWindow(length)
        for receivedAt in Self.extremes {
            for now in Self.extremes {
                let rings = w.rings(receivedAt: receivedAt, now: now)
                let byBound = w.earliestRinging(now: now).map { receivedAt >= $0 } ?? false
                #expect(rings == byBound, "length \(length), received \(receivedAt), now \(now)")
                #expect(rings == (now < w.expiry(receivedAt: receivedAt)))
                _ = w.status(.ringing, receivedAt: receivedAt, now: now)
            }
        }
    }

    @Test func hugeAndNegativeTimesSaturate() {
        let w = Self.window
        #expect(w.expiry(receivedAt: .max) == .max)
        #expect(w.expiry(receivedAt: .max - 1) == .max)
        #expect(w.expiry(receivedAt: .min) == .min + 60_000)
        #expect(RingWindow(-60_000).expiry(receivedAt: .min) == .min)
        #expect(w.rings(receivedAt: .max, now: Self.received))
        #expect(!w.rings(receivedAt: .min, now: Self.received))
        #expect(w.earliestRinging(now: .min) == .min)
        #expect(w.earliestRinging(now: .max) == nil)
        #expect(RingWindow(.min).earliestRinging(now: 0) == nil)
        #expect(w.firstExpiry(receivedAt: [.max, .min]) == .min + 60_000)
    }

    /// The records and the query read the same rule off the stored rows, at the boundary and far out.
    @Test func recordsAndTheRingingQueryAgreeAtTheBoundary() async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)
        let start = clock.now
        try await store.receiveInvite(IncomingCallsTests.invite(1, at: start))
        try await store.receiveInvite(IncomingCallsTests.invite(2, at: start))
        try await store.acceptIncoming("invite2abcd")
        let window: Int64 = 60_000
        for (now, expected) in [(start + 59_999, ["invite1abcd"]), (start + 60_000, []), (Int64.max, []), (Int64.min, ["invite1abcd"])] {
            let ringing = try await store.read { db in try Queries.ringing(now: now, ringWindow: window, in: db) }
            #expect(ringing.map(\.inviteId) == expected, "now \(now)")
            let record = try await store.read { db in try Queries.incomingCall(id: "invite1abcd", in: db) }
            #expect((record?.status(now: now, ringWindow: window) == .ringing) == !expected.isEmpty)
        }
        let accepted = try #require(try await store.read { db in try Queries.incomingCall(id: "invite2abcd", in: db) })
        #expect(accepted.status(now: start + 1, ringWindow: window) == .accepted)
    }
}
