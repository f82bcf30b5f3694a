import CallSimulation
import CallStore
import Decisions
import Ledger
import Logging
import Notify
import OwnerStore
import TestSupport
import Testing

@testable import PushDelivery

/// The dispatcher on a real ledger, with push services that answer as the test says and a clock that
/// moves only when the test moves it: what it announces, how it retries, and what a restart repeats.
@Suite struct NotificationDispatcherTests {
    struct Harness {
        let dir: TemporaryDirectory
        let store: CallStore
        let owners: OwnerStore
        /// The calls' clock: a call rings until the test moves it past the ring window.
        let clock: SimulatedClock
        let metrics = CountingDeliveryMetrics()

        /// The calls domain and the owner's records on one ledger file, as the gateway opens them; with
        /// `reopening`, the same file and clock again (after `close`), as a restarted gateway would.
        init(reopening other: Harness? = nil) throws {
            dir = try other?.dir ?? TemporaryDirectory()
            clock = other?.clock ?? SimulatedClock(start: LedgerClock.systemMilliseconds())
            let ledger = try CallStore.openLedger(LedgerConfiguration(path: dir.file("ledger.sqlite"), clock: clock.function))
            store = CallStore(ledger: ledger, settings: CallSettings(ringWindow: 60_000, clock: clock.function))
            owners = OwnerStore(ledger: ledger, clock: clock.function)
        }

        func close() throws { try store.close() }

        func dispatcher(_ sender: RecordingSender) -> NotificationDispatcher {
            var logger = Logger(label: "dispatcher-test")
            logger.logLevel = .critical
            return NotificationDispatcher(
                store: store, owners: owners, sender: sender, panelURL: { "https://owner.example/" }, metrics: metrics, logger: logger,
                retry: Backoff(base: .milliseconds(1), cap: .milliseconds(1)), tries: 3
            )
        }

        /// A browser subscribed to Web Push; returns its id (the sender's target).
        func subscribe(_ name: String) async throws -> String {
            try await owners.savePushSubscription(endpoint: "https://push.example/\(name)", p256dh: "key-\(name)", auth: "auth-\(name)").record.id
        }

        /// Grace calls (`invite-<n>-…`), received now; returns the call's id and its event's position.
        @discardableResult
        func call(_ n: Int) async throws -> (id: String, position: Int64) {
            let id = "invite-\(n)-" + String(repeating: "a", count: 8)
            try await store.receiveInvite(
                InviteReceived(
                    inviteId: id,
                    nostrEventId: String(repeating: String(n % 10), count: 64),
                    senderPubkey: String(repeating: "ab", count: 32),
                    senderName: "Grace",
                    room: "their-room-\(n)",
                    joinUrl: "https://grace.example/calls?room=their-room-\(n)&token=t\(n)",
                    sentAt: clock.now - 500,
                    receivedAt: clock.now
                )
            )
            return (id, try await store.read { db in try EventReader.headPosition(in: db) })
        }

        /// Runs `dispatcher` until `body` returns, then stops it and waits for it to end.
        @discardableResult
        func running<T>(_ dispatcher: NotificationDispatcher, _ body: () async throws -> T) async throws -> T {
            let task = Task { try await dispatcher.run() }
            do {
                let result = try await body()
                task.cancel()
                _ = await task.result
                return result
            } catch {
                task.cancel()
                _ = await task.result
                throw error
            }
        }

        /// Waits until the dispatcher has saved its place (on its first start, the ledger's head): calls
        /// recorded after this are announced.
        func started() async throws {
            try await waitUntil("the dispatcher saved its place") { try await owners.notificationCursor() != nil }
        }
    }

    /// A call that still rings is announced to every browser and to ntfy, once each; the caller's
    /// withdrawal then replaces it with a missed-call notice.
    @Test func aRingingCallIsAnnouncedOnceToEveryTarget() async throws {
        let harness = try Harness()
        let first = try await harness.subscribe("laptop")
        let second = try await harness.subscribe("phone")
        let sender = RecordingSender(ntfyURL: "https://ntfy.example/owner")
        try await harness.running(harness.dispatcher(sender)) {
            try await harness.started()
            let call = try await harness.call(1)
            try await waitUntil("every target is told it rings") { sender.sends(of: call.id).count == 3 }
            try await harness.store.recordRemoteCancelled(call.id, reason: "caller")
            try await waitUntil("every target is told it was missed") { sender.sends(of: call.id).count == 6 }
            try await waitUntil("every send is counted") { harness.metrics.total == 6 }
        }
        let sends = sender.sends
        let targets = [first, second, "ntfy"].sorted()
        // Each event's notices go out together, and the ringing one's before the missed one's.
        #expect(sends.prefix(3).allSatisfy { $0.notice.kind == .ringing })
        #expect(sends.prefix(3).map(\.target).sorted() == targets)
        #expect(sends.dropFirst(3).allSatisfy { $0.notice.kind == .missed })
        #expect(sends.dropFirst(3).map(\.target).sorted() == targets)
        let ringing = try #require(sends.first?.notice)
        #expect(ringing.callerName == "Grace")
        #expect(ringing.joinURL == "https://grace.example/calls?room=their-room-1&token=t1")
        #expect(ringing.panelURL == "https://owner.example/")
        #expect(harness.metrics["webpush/delivered"] == 4)
        #expect(harness.metrics["ntfy/delivered"] == 2)
        #expect(sender.shutdowns == 1)
    }

    /// A call that rang out before the dispatcher reached it (the gateway was stopped meanwhile) is not
    /// announced as ringing; the caller's withdrawal still is, as a missed call.
    @Test func aCallThatRangOutBeforeTheDispatcherSawItIsOnlyAMissedCall() async throws {
        let harness = try Harness()
        let phone = try await harness.subscribe("phone")
        // The dispatcher ran before, up to here.
        try await harness.owners.advanceNotificationCursor(to: harness.store.feed.head)
        let call = try await harness.call(2)
        harness.clock.advance(by: 60_000)
        try await harness.store.recordRemoteCancelled(call.id, reason: "caller")
        let sender = RecordingSender(ntfyURL: "https://ntfy.example/owner")
        try await harness.running(harness.dispatcher(sender)) {
            try await waitUntil("the missed call is announced") { sender.sends.count == 2 }
        }
        #expect(sender.sends.allSatisfy { $0.notice.kind == .missed && $0.notice.callId == call.id })
        #expect(sender.sends.map(\.target).sorted() == ["ntfy", phone].sorted())
    }

    /// A send worth another try is tried again (up to `tries`), and a browser whose push service says
    /// it is gone is tried once and unsubscribed.
    @Test func retryableSendsAreRetriedAndAGoneBrowserIsRemoved() async throws {
        let harness = try Harness()
        let flaky = try await harness.subscribe("flaky")
        let gone = try await harness.subscribe("gone")
        let down = try await harness.subscribe("down")
        let sender = RecordingSender()  // no ntfy
        sender.answer(flaky, with: [.retryable("HTTP 503"), .delivered])
        sender.answer(gone, with: [.gone])
        sender.answer(down, with: [.retryable("HTTP 503")])
        try await harness.running(harness.dispatcher(sender)) {
            try await harness.started()
            try await harness.call(3)
            try await waitUntil("every send is settled and recorded") {
                let left = try await harness.owners.pushSubscriptions()
                return harness.metrics.total == 3 && left.count == 2 && left.first { $0.id == down }?.failures == 1
                    && left.first { $0.id == flaky }?.lastSentAt != nil
            }
        }
        #expect(sender.sends(to: flaky).count == 2)
        #expect(sender.sends(to: gone).count == 1)
        #expect(sender.sends(to: down).count == 3)
        #expect(sender.sends(to: "ntfy").isEmpty)
        #expect(harness.metrics["webpush/delivered"] == 1)
        #expect(harness.metrics["webpush/gone"] == 1)
        #expect(harness.metrics["webpush/failed"] == 1)
        let left = try await harness.owners.pushSubscriptions()
        #expect(left.map(\.id).sorted() == [flaky, down].sorted())
        #expect(left.first { $0.id == flaky }?.failures == 0)
        #expect(left.first { $0.id == flaky }?.lastSentAt != nil)
        #expect(left.first { $0.id == down }?.failures == 1)
    }

    /// A second dispatcher on the same file sends nothing the first delivered: not a call it finished
    /// (its saved place), nor the targets that took a call it was stopped in the middle of (which it
    /// finishes); and it announces the call that came while none ran.
    @Test func aRestartResendsNothingDeliveredAndSkipsNothingPending() async throws {
        let harness = try Harness()
        let laptop = try await harness.subscribe("laptop")
        let phone = try await harness.subscribe("phone")
        let before = RecordingSender(ntfyURL: "https://ntfy.example/owner")
        let finished = "invite-4-aaaaaaaa"
        let interrupted = try await harness.running(harness.dispatcher(before)) { () async throws -> (id: String, position: Int64) in
            try await harness.started()
            let done = try await harness.call(4)
            try await waitUntil("the first call is done") { try await harness.owners.notificationCursor() ?? 0 >= done.position }
            // The phone's push service hangs: the dispatcher is stopped while it waits.
            before.hold(phone)
            let call = try await harness.call(5)
            try await waitUntil("the laptop and ntfy took the second call, the phone's send is under way") {
                try await harness.owners.notificationTargetsSent(position: call.position) == [laptop, "ntfy"]
                    && before.sends(of: call.id).count == 3
            }
            return call
        }
        #expect(before.sends(of: finished).count == 3)
        #expect(try await harness.owners.notificationCursor() ?? .max < interrupted.position)

        // A call comes while no dispatcher runs; then the gateway starts again on the same file.
        let waiting = try await harness.call(6)
        try harness.close()
        let restarted = try Harness(reopening: harness)
        defer { try? restarted.close() }
        let after = RecordingSender(ntfyURL: "https://ntfy.example/owner")
        try await restarted.running(restarted.dispatcher(after)) {
            try await waitUntil("the call that came meanwhile is announced") { after.sends(of: waiting.id).count == 3 }
            try await waitUntil("the dispatcher moved past it") { try await restarted.owners.notificationCursor() ?? 0 >= waiting.position }
        }
        // Each event's sends are settled before the next event's begin.
        #expect(after.sends(of: finished).isEmpty)
        #expect(after.sends(of: interrupted.id).map(\.target) == [phone])
        #expect(after.sends(of: waiting.id).map(\.target).sorted() == [laptop, phone, "ntfy"].sorted())
        #expect(after.sends.allSatisfy { $0.notice.kind == .ringing })
    }
}
