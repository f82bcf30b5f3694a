import NIOCore

/// The load of one client event loop: its rooms, what to send, and what arrived. Confined to that loop
/// (reached from elsewhere through `NIOLoopBound` and `EventLoop.submit`), so the hot path takes no
/// lock and never leaves the loop: a message is timed, counted and, in the closed loop, answered in
/// the same `channelRead`.
final class SignalingLoopDriver {
    enum Mode {
        case idle
        /// Open loop at a fixed rate, independent of how fast answers come (latency).
        case paced
        /// Every arrival is answered with a new message from the receiving peer (throughput).
        case closedLoop
        /// Nothing new is sent; in-flight messages are still counted as they arrive.
        case draining
    }

    /// Cumulative counters; the orchestrator takes differences.
    struct Snapshot: Sendable {
        var sent = 0
        var received = 0
        var serverErrors = 0
        var socketsClosed = 0

        static func + (lhs: Snapshot, rhs: Snapshot) -> Snapshot {
            Snapshot(
                sent: lhs.sent + rhs.sent,
                received: lhs.received + rhs.received,
                serverErrors: lhs.serverErrors + rhs.serverErrors,
                socketsClosed: lhs.socketsClosed + rhs.socketsClosed
            )
        }
    }

    /// At most this many latency samples are kept per loop and phase (memory bound).
    static let sampleLimit = 4_000_000

    let loop: any EventLoop
    private(set) var rooms: [Int: SignalingClientRoom] = [:]
    private var roomOrder: [SignalingClientRoom] = []
    private var mode = Mode.idle
    /// Whether arrivals are recorded as latency samples (off during warm-up).
    var recording = false
    private var samples: [UInt64] = []
    private var sent = 0
    private var received = 0
    var serverErrors = 0
    private var socketsClosed = 0

    private var pacer: RepeatedTask?
    private var pacedRate = 0.0
    private var pacedStart: UInt64 = 0
    private var pacedSent = 0
    private var cursor = 0

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func addRoom(index: Int, size: Int) {
        let room = SignalingClientRoom(index: index, size: size)
        rooms[index] = room
        roomOrder.append(room)
    }

    var snapshot: Snapshot {
        Snapshot(sent: sent, received: received, serverErrors: serverErrors, socketsClosed: socketsClosed)
    }

    func socketClosed() { socketsClosed += 1 }

    // MARK: - Hot path

    func received(stamp: UInt64, by peer: SignalingPeerHandler) {
        let now = Stopwatch.nanoseconds()
        received += 1
        if recording, samples.count < Self.sampleLimit {
            samples.append(now &- stamp)
        }
        if case .closedLoop = mode, peer.send(stamp: now, flush: false) {
            sent += 1
        }
    }

    // MARK: - Phases

    /// Sends `rate` messages per second from this loop's rooms, round robin over rooms and, within a
    /// room, over its peers. A 1 ms timer sends what is due, so a late tick catches up (the delay
    /// shows in the latency instead of being hidden).
    func startPaced(rate: Double) {
        stopSending()
        guard rate > 0, !roomOrder.isEmpty else { return }
        mode = .paced
        pacedRate = rate
        pacedStart = Stopwatch.nanoseconds()
        pacedSent = 0
        let bound = NIOLoopBound(self, eventLoop: loop)
        pacer = loop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) { _ in
            bound.value.paceTick()
        }
    }

    private func paceTick() {
        guard case .paced = mode else { return }
        let elapsed = Double(Stopwatch.nanoseconds() - pacedStart) / 1e9
        // Bounded: after a very long stall, at most 10,000 messages go out in one tick.
        let due = min(Int(elapsed * pacedRate) - pacedSent, 10_000)
        guard due > 0 else { return }
        for _ in 0..<due {
            let room = roomOrder[cursor % roomOrder.count]
            cursor &+= 1
            pacedSent += 1
            if let peer = room.takeSender(), peer.send(stamp: Stopwatch.nanoseconds(), flush: true) {
                sent += 1
            }
        }
    }

    /// Each peer sends `window` messages at once; from then on every arrival is answered.
    func startClosedLoop(window: Int) {
        stopSending()
        mode = .closedLoop
        for room in roomOrder {
            for case let peer? in room.peers {
                for _ in 0..<window where peer.send(stamp: Stopwatch.nanoseconds(), flush: false) {
                    sent += 1
                }
                peer.flushIfPending()
            }
        }
    }

    func stopSending() {
        pacer?.cancel()
        pacer = nil
        mode = .draining
    }

    /// The samples recorded so far (nanoseconds), clearing them.
    func takeSamples() -> [UInt64] {
        defer { samples = [] }
        return samples
    }

    // MARK: - Setup and teardown

    func wire(room index: Int, echo: Bool) -> Bool {
        rooms[index]?.wire(echo: echo) ?? false
    }

    func closeAll() {
        stopSending()
        mode = .idle
        for room in roomOrder { room.closeAll() }
    }

    func release() {
        for room in roomOrder { room.release() }
        rooms = [:]
        roomOrder = []
    }
}
