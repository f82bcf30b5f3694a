import CallSimulation
import CallStore
import Foundation
import GRDB
import Ledger
import Logging
import Projections
import Synchronization
import Testing

@testable import Signaling
import TestSupport

/// The hub on a real ledger file, with the feed followed as the service follows it, and its sockets as
/// plain queues: what it records, and what it refuses, when the ledger misbehaves or races it.
@Suite struct SignalingHubTests {
    /// A hub on a fresh ledger, a simulated clock, and a follower task feeding it.
    final class Harness: Sendable {
        let dir: TemporaryDirectory
        let clock = SimulatedClock(start: 1_800_000_000_000)
        let store: CallStore
        let hub: SignalingHub

        init(busyTimeout: Double = 10) throws {
            dir = try TemporaryDirectory()
            store = try CallStore(
                ledger: LedgerConfiguration(path: dir.file("ledger.sqlite"), busyTimeout: busyTimeout),
                settings: CallSettings(clock: clock.function)
            )
            var settings = SignalingHub.Settings()
            settings.grace = 1_000
            settings.emptyGrace = 5_000
            var logger = Logger(label: "hub-test")
            logger.logLevel = .critical
            hub = SignalingHub(store: store, metrics: CountingSignalingMetrics(), settings: settings, logger: logger)
        }

        /// Runs `body` while a child task applies the feed to the hub.
        func following<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
            let (hub, feed) = (self.hub, store.feed)
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    for try await events in feed.events(after: 0) { await hub.apply(events) }
                    return nil
                }
                let result = try await body()
                group.cancelAll()
                return result
            }
        }

        /// A socket as a plain queue; returns its messages as they come.
        func socket() -> (any SignalingSocket, AsyncStream<Outgoing>) {
            let (stream, continuation) = AsyncStream.makeStream(of: Outgoing.self)
            return (QueueSocket(continuation), stream)
        }

        /// Admits the holder of `secret` through the ledger and waits until the hub has seated them.
        func seat(_ room: String, secret: String, name: String = "P") async throws -> CallStore.Admission {
            let admission = try await store.admit(room: room, token: secret, displayName: name)
            #expect(await hub.isSeated(room: room, peerId: admission.peerId, after: admission.position))
            return admission
        }

        func room(_ code: String) async throws -> RoomRecord? {
            try await store.read { db in try Queries.room(code, in: db) }
        }

        func present(_ code: String) async throws -> Int {
            try await store.read { db in try Queries.peers(in: code, db: db).count }
        }
    }

    @Test func aLeaveTheLedgerRefusedIsRetriedAndTheRoomEndsNormally() async throws {
        let harness = try Harness(busyTimeout: 0.05)
        let (store, hub) = (harness.store, harness.hub)
        let room = try await store.createRoom(hostName: "Ada", createdBy: .api)
        try await harness.following {
            let admission = try await harness.seat(room.code, secret: room.hostToken.secret, name: "Ada")
            let (socket, _) = harness.socket()
            let id = await hub.connect(SignalingAdmission(room: room.code, peerId: admission.peerId, ip: "127.0.0.1"), socket: socket)

            // The ledger refuses writes while Ada hangs up: the hub lets her go, and owes the ledger her leave.
            let lock = try LedgerWriteLock(path: harness.dir.file("ledger.sqlite"))
            await hub.receive(.leave, on: id)
            #expect(await hub.owedWrites == 1)
            #expect(try await harness.present(room.code) == 1)
            // Ticks while the lock holds do not lose the leave.
            await hub.tick()
            #expect(await hub.owedWrites == 1)

            try lock.release()
            await hub.tick()
            #expect(await hub.owedWrites == 0)
            #expect(try await harness.present(room.code) == 0)
            #expect(try await leaveReasons(store, room: room.code) == ["hangup"])

            // The room is empty in the ledger too, so it ends after the empty-room grace.
            harness.clock.advance(by: 5_000)
            await hub.tick()
            let ended = try await harness.room(room.code)
            #expect(ended?.state == .ended)
            #expect(ended?.endReason == "empty")
        }
    }

    @Test func leavesStillOwedAtShutdownAreWrittenBeforeItReturns() async throws {
        let harness = try Harness(busyTimeout: 0.05)
        let (store, hub) = (harness.store, harness.hub)
        let room = try await store.createRoom(hostName: "Ada", createdBy: .api)
        try await harness.following {
            _ = try await harness.seat(room.code, secret: room.hostToken.secret, name: "Ada")
            let lock = try LedgerWriteLock(path: harness.dir.file("ledger.sqlite"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await Task.sleep(for: .milliseconds(400))
                    try lock.release()
                }
                await hub.shutdown(deadline: .now + .seconds(10))
                try await group.waitForAll()
            }
            #expect(await hub.owedWrites == 0)
            #expect(try await leaveReasons(store, room: room.code) == ["shutdown"])
        }
    }

    @Test func aJoinIntoARoomThatEndedRightAfterIsRefused() async throws {
        let harness = try Harness()
        let (store, hub) = (harness.store, harness.hub)
        let room = try await store.createRoom(hostName: "Ada", createdBy: .api)
        // The admission commits, then the owner closes the room, before the hub has heard of either.
        let admission = try await store.admit(room: room.code, token: room.hostToken.secret, displayName: "Ada")
        try await store.endRoom(room.code, reason: .closed)
        try await harness.following {
            #expect(await hub.isSeated(room: room.code, peerId: admission.peerId, after: admission.position) == false)
            // A socket that comes up anyway is told the room ended and closed; no room is recreated.
            let (socket, stream) = harness.socket()
            _ = await hub.connect(SignalingAdmission(room: room.code, peerId: admission.peerId, ip: "127.0.0.1"), socket: socket)
            var received: [Outgoing] = []
            for await item in stream { received.append(item) }
            #expect(received.last == .close(code: 4410, reason: "room ended"))
            #expect(await hub.liveRoomCount == 0)
            #expect(await hub.resumeSecrets == 0)
        }
    }

    @Test func resumeSecretsAreForgottenWhenTheRoomEnds() async throws {
        let harness = try Harness()
        let (store, hub) = (harness.store, harness.hub)
        let room = try await store.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        try await harness.following {
            var sockets: [AsyncStream<Outgoing>] = []
            for secret in [room.hostToken.secret, try #require(room.guest).token.secret] {
                let admission = try await harness.seat(room.code, secret: secret)
                let (socket, stream) = harness.socket()
                _ = await hub.connect(SignalingAdmission(room: room.code, peerId: admission.peerId, ip: "127.0.0.1"), socket: socket)
                sockets.append(stream)
            }
            #expect(await hub.resumeSecrets == 2)
            try await store.endRoom(room.code, reason: .closed)
            // The end reaches the hub through the feed; both sockets hear it and close.
            for stream in sockets {
                var last: Outgoing?
                for await item in stream { last = item }
                #expect(last == .close(code: 4000, reason: "room closed"))
            }
            #expect(await hub.resumeSecrets == 0)
            #expect(await hub.liveRoomCount == 0)
        }
    }
}

/// What the hub sent one socket, in order.
enum Outgoing: Sendable, Equatable {
    case text(String)
    case close(code: UInt16, reason: String)
}

/// A socket that is a queue: what the hub sends, and the close it orders, arrive on an `AsyncStream`.
struct QueueSocket: SignalingSocket {
    let continuation: AsyncStream<Outgoing>.Continuation

    init(_ continuation: AsyncStream<Outgoing>.Continuation) {
        self.continuation = continuation
    }

    func send(_ text: String) -> SocketSendOutcome {
        switch continuation.yield(.text(text)) {
        case .enqueued: .sent
        case .dropped: .tooSlow
        case .terminated: .closed
        @unknown default: .closed
        }
    }

    func close(code: UInt16, reason: String) {
        continuation.yield(.close(code: code, reason: reason))
        continuation.finish()
    }

    func finish() { continuation.finish() }

    func abort() { continuation.finish() }

    func keepAlive(now: Int64, interval: Int64) -> KeepAlive { .alive }
}
