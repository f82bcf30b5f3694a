import HarnessKit
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// The benchmark's WebSocket clients: every socket of every room, on a small NIO event loop group of
/// its own (one thread by default, so the client never takes more than one of the two cores).
///
/// All peers of a room share one event loop, with that loop's `SignalingLoopDriver`, so a relayed
/// message is sent, received, timed and answered without crossing threads. The upgrade is plain
/// NIO (`NIOTypedWebSocketClientUpgrader`) with frame handlers instead of async sequences: a few
/// microseconds less client CPU per message, which the server gets instead.
final class SignalingClient: Sendable {
    /// The request paths of one room's peers, in join order (`/calls/ws?room=...&token=...`).
    struct RoomPlan: Sendable {
        var paths: [String]
    }

    private enum Upgrade: Sendable {
        case upgraded
        case refused
    }

    private let group: MultiThreadedEventLoopGroup
    private let drivers: [NIOLoopBound<SignalingLoopDriver>]
    let host: String
    let port: Int
    /// Whether the server greets each socket with a `welcome` carrying the peer id (not the echo).
    let expectsWelcome: Bool
    private let timeout: TimeAmount

    init(threads: Int, host: String, port: Int, expectsWelcome: Bool, timeout: TimeAmount = .seconds(15)) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var drivers: [NIOLoopBound<SignalingLoopDriver>] = []
        for loop in group.makeIterator() {
            drivers.append(try await loop.submit { NIOLoopBound(SignalingLoopDriver(loop: loop), eventLoop: loop) }.get())
        }
        self.drivers = drivers
        self.host = host
        self.port = port
        self.expectsWelcome = expectsWelcome
        self.timeout = timeout
    }

    // MARK: - Connecting

    /// Connects the peers of `plans[range]`, up to `concurrency` rooms at a time, a room's peers one
    /// after the other (each waits for its welcome). Throws on the first socket that fails.
    func connect(_ plans: [RoomPlan], range: Range<Int>, concurrency: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = range.lowerBound
            var running = 0
            while next < range.upperBound || running > 0 {
                while running < max(1, concurrency), next < range.upperBound {
                    let index = next
                    group.addTask { try await self.connectRoom(index: index, plan: plans[index]) }
                    next += 1
                    running += 1
                }
                try await group.next()
                running -= 1
            }
        }
    }

    private func driver(for room: Int) -> NIOLoopBound<SignalingLoopDriver> {
        drivers[room % drivers.count]
    }

    private func connectRoom(index: Int, plan: RoomPlan) async throws {
        let driver = self.driver(for: index)
        let loop = driver.eventLoop
        try await loop.submit { driver.value.addRoom(index: index, size: plan.paths.count) }.get()
        for (slot, path) in plan.paths.enumerated() {
            try await connectPeer(driver: driver, room: index, slot: slot, path: path)
        }
        let echo = !expectsWelcome
        let wired = try await loop.submit { driver.value.wire(room: index, echo: echo) }.get()
        guard wired else { throw BenchError("room \(index): a peer is missing or has no usable peer id") }
    }

    private func connectPeer(driver: NIOLoopBound<SignalingLoopDriver>, room: Int, slot: Int, path: String) async throws {
        let ready = driver.eventLoop.makePromise(of: Void.self)
        do {
            try await connectPeer(driver: driver, room: room, slot: slot, path: path, ready: ready)
        } catch {
            ready.fail(error)  // a completed promise ignores this; a pending one must not be leaked
            throw error
        }
    }

    private func connectPeer(
        driver: NIOLoopBound<SignalingLoopDriver>, room: Int, slot: Int, path: String, ready: EventLoopPromise<Void>
    ) async throws {
        let loop = driver.eventLoop
        let expectsWelcome = self.expectsWelcome
        let host = self.host
        let port = self.port
        let upgrade: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(
                        maxFrameSize: 1 << 16,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                guard let clientRoom = driver.value.rooms[room] else {
                                    throw BenchError("room \(room) is not registered on its event loop")
                                }
                                let handler = SignalingPeerHandler(
                                    driver: driver.value, room: clientRoom, slot: slot, expectsWelcome: expectsWelcome, ready: ready)
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOWebSocketFrameAggregator(
                                        minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: 1 << 16))
                                try channel.pipeline.syncOperations.addHandler(handler)
                                return Upgrade.upgraded
                            }
                        }
                    )
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    headers.add(name: "Content-Length", value: "0")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head,
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.close(promise: nil)
                            return channel.eventLoop.makeSucceededFuture(Upgrade.refused)
                        }
                    )
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
                    // The welcome can arrive in the same read as the 101 response; keep those bytes.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                }
            }
        let result = try await Self.within(timeout, on: loop, upgrade, what: "upgrade of room \(room) peer \(slot)")
        guard case .upgraded = result else {
            throw BenchError("the server refused the WebSocket upgrade of room \(room) peer \(slot)")
        }
        try await Self.within(timeout, on: loop, ready.futureResult, what: "welcome of room \(room) peer \(slot)")
    }

    /// `future`'s value, or a timeout error after `limit`.
    private static func within<Value: Sendable>(
        _ limit: TimeAmount, on loop: any EventLoop, _ future: EventLoopFuture<Value>, what: String
    ) async throws -> Value {
        let promise = loop.makePromise(of: Value.self)
        future.cascade(to: promise)
        let timer = loop.scheduleTask(in: limit) { promise.fail(BenchError("timed out waiting for the \(what)")) }
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }

    // MARK: - Load

    /// Runs `body` on every loop's driver and returns the results in loop order.
    func onEveryLoop<Result: Sendable>(_ body: @escaping @Sendable (SignalingLoopDriver) -> Result) async throws -> [Result] {
        var results: [Result] = []
        for driver in drivers {
            results.append(try await driver.eventLoop.submit { body(driver.value) }.get())
        }
        return results
    }

    func snapshot() async throws -> SignalingLoopDriver.Snapshot {
        try await onEveryLoop { $0.snapshot }.reduce(SignalingLoopDriver.Snapshot(), +)
    }

    /// Paced load of `rate` messages per second in total, split over the loops.
    func startPaced(rate: Double) async throws {
        let share = rate / Double(drivers.count)
        _ = try await onEveryLoop { $0.startPaced(rate: share) }
    }

    func startClosedLoop(window: Int) async throws {
        _ = try await onEveryLoop { $0.startClosedLoop(window: window) }
    }

    func setRecording(_ recording: Bool) async throws {
        _ = try await onEveryLoop { $0.recording = recording }
    }

    /// Stops sending and waits (at most `limit`) until every message sent has arrived.
    /// Returns the final counters; `sent - received` is what never arrived.
    func stopAndDrain(limit: Duration) async throws -> SignalingLoopDriver.Snapshot {
        _ = try await onEveryLoop { $0.stopSending() }
        var last = try await snapshot()
        _ = try await firstWithin(limit, every: .milliseconds(20)) { () -> Bool? in
            last = try await snapshot()
            return last.sent > last.received ? nil : true
        }
        return last
    }

    /// All latency samples recorded since the last call, in nanoseconds.
    func takeSamples() async throws -> [UInt64] {
        try await onEveryLoop { $0.takeSamples() }.flatMap { $0 }
    }

    /// Closes every socket, then stops the event loops.
    func shutdown() async {
        _ = try? await onEveryLoop { $0.closeAll() }
        try? await Task.sleep(for: .milliseconds(200))
        _ = try? await onEveryLoop { $0.release() }
        try? await group.shutdownGracefully()
    }
}
