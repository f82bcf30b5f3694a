public import CallStore
import CrowSecurity
import Decisions
import Foundation
public import Ledger
public import Logging
import Projections

/// A join the upgrade check admitted, handed to the socket's handler.
public struct SignalingAdmission: Sendable {
    public var room: String
    public var peerId: String
    public var ip: String

    public init(room: String, peerId: String, ip: String) {
        self.room = room
        self.peerId = peerId
        self.ip = ip
    }
}

/// Owns every room's `RoomMachine` and every open signaling socket, and carries out the machines'
/// actions: messages go out on the sockets (`SignalingSocket`), leaves and room ends go to the ledger through
/// `CallStore`. SDP and ICE candidates pass through memory only.
///
/// The hub learns what the ledger decided by following its feed (`apply`), never from the code that
/// appended: a `peer.joined` seats a participant, a `room.ended` (owner close, expiry, empty room, from
/// this process or another) closes the room's sockets. The upgrade check waits until the hub has applied
/// the admission's position and then asks whether the seat exists, so a room that ended right after the
/// admission is refused instead of being recreated.
///
/// A leave or an empty-room end the hub could not record stays queued and is retried every tick (and
/// once more at shutdown), so the ledger never keeps a participant the hub has let go.
public actor SignalingHub {
    public struct Settings: Sendable {
        /// How long a dropped seat waits for a resume (ms).
        public var grace: Int64 = 20_000
        /// How long an empty room stays open before it ends (ms).
        public var emptyGrace: Int64 = 120_000
        /// Messages written to one socket and not yet taken by its peer before it is closed as too slow.
        public var outgoingQueue = 256
        /// Silence before a ping, and after it before the socket is closed (ms).
        public var pingInterval: Int64 = 30_000
        public var iceServers = IceServerProvider()

        public init(
            grace: Int64 = 20_000,
            emptyGrace: Int64 = 120_000,
            outgoingQueue: Int = 256,
            pingInterval: Int64 = 30_000,
            iceServers: IceServerProvider = IceServerProvider()
        ) {
            self.grace = grace
            self.emptyGrace = emptyGrace
            self.outgoingQueue = outgoingQueue
            self.pingInterval = pingInterval
            self.iceServers = iceServers
        }
    }

    /// A class, so that looking one up for every message costs one retain, not one per field.
    private final class Connection {
        let room: String
        let peerId: String
        let socket: any SignalingSocket

        init(room: String, peerId: String, socket: any SignalingSocket) {
            self.room = room
            self.peerId = peerId
            self.socket = socket
        }
    }

    /// A ledger write the hub owes: retried until the ledger has it.
    private enum OwedWrite: Equatable {
        case leave(peerId: String, reason: LeaveReason)
        case endEmpty
    }

    private let store: CallStore
    private let metrics: any SignalingMetrics
    private let logger: Logger
    public nonisolated let settings: Settings
    /// Each room's machine. Changed in place (`rooms[code]?.receive(…)`), never as a copy taken out and
    /// written back: while the dictionary still held the original, the copy's first change copied the
    /// room's seats. At 10,000 sockets those copies were among the top callers of `swift_retain`, the
    /// relay's largest symbol in a profile (docs/BENCHMARKS.md).
    private var rooms: [String: RoomMachine] = [:]
    /// Rooms live in the ledger → their peer limit (from `room.created`, or the start snapshot).
    private var liveRooms: [String: Int] = [:]
    private var connections: [ConnectionID: Connection] = [:]
    /// SHA-256 of a resume secret → the seat it resumes. Only hashes are kept.
    private var resumeIndex: [String: (room: String, peerId: String)] = [:]
    /// room → peer id → that peer's current resume hash; dropped with the room.
    private var resumeOf: [String: [String: String]] = [:]
    /// Writes owed to the ledger, per room, in order.
    private var owed: [String: [OwedWrite]] = [:]
    private var flushing: Set<String> = []
    private var nextConnection: ConnectionID = 1
    /// The feed position through which events have been applied.
    public private(set) var applied: Int64 = 0
    private var appliedWaiters: [(position: Int64, continuation: CheckedContinuation<Void, Never>)] = []
    public private(set) var shuttingDown = false

    public init(store: CallStore, metrics: any SignalingMetrics, settings: Settings, logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.settings = settings
        self.logger = logger
    }

    private var now: Int64 { store.settings.clock() }

    // MARK: - Following the ledger

    /// Seeds the hub from a snapshot taken at `position`: the live rooms, and an empty-room timer for
    /// each live room that has had participants and has nobody now (after a restart, those would
    /// otherwise stay open until they expire). Rooms nobody has joined yet wait for their first join.
    public func start(_ snapshot: SignalingSnapshot) {
        applied = snapshot.position
        for room in snapshot.liveRooms {
            liveRooms[room.code] = room.maxPeers
            if room.hadPeers, room.present == 0, rooms[room.code] == nil {
                rooms[room.code] = machine(room.code, maxPeers: room.maxPeers)
            }
        }
    }

    /// Applies committed events, in position order.
    public func apply(_ events: [RecordedEvent]) {
        for recorded in events where recorded.position > applied {
            switch recorded.event {
            case .roomCreated(let created):
                liveRooms[created.code] = created.maxPeers
            case .peerJoined(let joined):
                seat(joined)
            case .roomEnded(let ended):
                roomEnded(ended.room, reason: ended.reason.rawValue)
            default:
                break
            }
            applied = recorded.position
        }
        let ready = appliedWaiters.filter { $0.position <= applied }
        appliedWaiters.removeAll { $0.position <= applied }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Whether `peerId` holds a seat in `room` once everything through `position` is applied: false when
    /// the room ended after the join was committed.
    public func isSeated(room: String, peerId: String, after position: Int64) async -> Bool {
        if applied < position, !shuttingDown {
            await withCheckedContinuation { appliedWaiters.append((position, $0)) }
        }
        return rooms[room]?.seat(peerId) != nil
    }

    private func seat(_ joined: PeerJoined) {
        guard let maxPeers = liveRooms[joined.room] else { return }
        var machine = rooms[joined.room] ?? machine(joined.room, maxPeers: maxPeers)
        if machine.closed {
            // The empty room was about to end when someone joined: the ledger admitted the join, so
            // the room goes on, and the end still owed (if not yet written) is dropped.
            machine.reopen()
            owed[joined.room]?.removeAll { $0 == .endEmpty }
        }
        _ = machine.admitted(peerId: joined.peerId, name: joined.displayName, now: now)
        rooms[joined.room] = machine
    }

    private func machine(_ code: String, maxPeers: Int) -> RoomMachine {
        RoomMachine(code: code, maxPeers: maxPeers, grace: settings.grace, emptyGrace: settings.emptyGrace, now: now)
    }

    /// The room ended in the ledger (owner closed it, it expired or stayed empty): tell everyone, close
    /// their sockets, and forget its seats and resume secrets. The ledger already holds everyone's leave.
    private func roomEnded(_ code: String, reason: String) {
        liveRooms[code] = nil
        owed[code] = nil
        for hash in (resumeOf.removeValue(forKey: code) ?? [:]).values { resumeIndex[hash] = nil }
        guard var machine = rooms.removeValue(forKey: code) else { return }
        perform(machine.roomEnded(reason: reason), room: code)
    }

    // MARK: - Joining

    /// The seat a resume secret (by hash) belongs to, if it is still held in `room`.
    public func resumableSeat(room: String, secretHash: String) -> String? {
        guard let seat = resumeIndex[secretHash], seat.room == room, rooms[room]?.seat(seat.peerId) != nil else { return nil }
        return seat.peerId
    }

    /// Attaches a socket to its seat. Returns the connection id.
    public func connect(_ admission: SignalingAdmission, socket: any SignalingSocket) -> ConnectionID {
        let id = nextConnection
        nextConnection += 1
        connections[id] = Connection(room: admission.room, peerId: admission.peerId, socket: socket)
        metrics.connectionOpened()
        guard let room = rooms.index(forKey: admission.room) else {
            perform(
                [.send(id, .error(code: "room_ended", message: "the room has ended")), .close(id, code: 4410, reason: "room ended")],
                room: admission.room
            )
            return id
        }
        // A fresh resume secret on every (re)connect; the old one stops working.
        let secret = Secrets.token()
        let hash = Secrets.hash(secret)
        if let old = resumeOf[admission.room]?[admission.peerId] { resumeIndex[old] = nil }
        resumeOf[admission.room, default: [:]][admission.peerId] = hash
        resumeIndex[hash] = (admission.room, admission.peerId)
        let iceServers = settings.iceServers.servers(for: admission.peerId, now: now)
        // In place, as `receive` does: the room's machine is not copied out of the dictionary.
        let actions = rooms.values[room].attach(peerId: admission.peerId, connection: id, resume: secret, iceServers: iceServers, now: now)
        perform(actions, room: admission.room)
        return id
    }

    // MARK: - Traffic

    /// A parsed message from a socket. Parsing happens in the socket's own task, off this actor.
    public func receive(_ message: ClientMessage, on id: ConnectionID) async {
        guard let connection = connections[id], let actions = rooms[connection.room]?.receive(message, on: id, now: now) else { return }
        if case .signal = message, actions.contains(where: { if case .send(let c, _) = $0 { c != id } else { false } }) {
            metrics.relayedMessage()
        }
        await run(actions, room: connection.room)
    }

    /// Tells one socket something without involving its room (rate limits, for instance).
    public func notify(_ id: ConnectionID, _ message: ServerMessage) {
        guard let connection = connections[id] else { return }
        perform([.send(id, message)], room: connection.room)
    }

    public func close(_ id: ConnectionID, code: UInt16, reason: String) {
        guard let connection = connections[id] else { return }
        perform([.close(id, code: code, reason: reason)], room: connection.room)
    }

    /// The socket's handler ended: the socket is gone. Its seat waits for a resume unless the peer left.
    public func disconnected(_ id: ConnectionID) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        connection.socket.finish()
        metrics.connectionClosed()
        guard !shuttingDown else { return }
        _ = rooms[connection.room]?.detached(id, now: now)
    }

    // MARK: - Time, shutdown

    /// Pings idle sockets and closes silent ones, releases expired seats, ends rooms that stayed empty,
    /// and retries owed ledger writes. Called about once a second.
    public func tick() async {
        let now = self.now
        // Sockets silent through a ping and its interval are closed; the others are pinged as needed.
        for (id, connection) in connections where connection.socket.keepAlive(now: now, interval: settings.pingInterval) == .silent {
            perform([.close(id, code: 1001, reason: "Ping timeout")], room: connection.room)
        }
        for code in Array(rooms.keys) {
            guard let actions = rooms[code]?.tick(now: now) else { continue }
            if !actions.isEmpty { await run(actions, room: code) }
        }
        for code in Array(owed.keys) { await flush(code) }
    }

    /// Records `peer.left(shutdown)` for every seat, closes every socket, and writes what is still owed.
    /// Gives up on a write only when `deadline` passes (the ledger closes after this returns).
    public func shutdown(deadline: ContinuousClock.Instant) async {
        shuttingDown = true
        for waiter in appliedWaiters { waiter.continuation.resume() }
        appliedWaiters.removeAll()
        for code in Array(rooms.keys) {
            guard var machine = rooms.removeValue(forKey: code) else { continue }
            let seats = machine.seats
            await run(machine.shutdown(), room: code)
            for seat in seats {
                if let id = seat.connection { perform([.close(id, code: 1001, reason: "server shutting down")], room: code) }
            }
        }
        while !owed.isEmpty, ContinuousClock.now < deadline {
            for code in Array(owed.keys) { await flush(code) }
            if !owed.isEmpty { try? await Task.sleep(for: .milliseconds(100)) }
        }
        if !owed.isEmpty {
            logger.error("leaving with ledger writes not recorded", metadata: ["rooms": "\(owed.count)"])
        }
    }

    public var openConnections: Int { connections.count }
    public var liveRoomCount: Int { rooms.count }
    /// Ledger writes waiting for a retry.
    public var owedWrites: Int { owed.values.reduce(0) { $0 + $1.count } }
    /// Resume secrets held in memory.
    public var resumeSecrets: Int { resumeIndex.count }

    // MARK: - Carrying out actions

    /// Carries out the actions that need no ledger write (sends and closes), synchronously and in order.
    private func perform(_ actions: [RoomMachine.Action], room: String) {
        for action in actions {
            switch action {
            case .send(let id, let message):
                guard let connection = connections[id] else { continue }
                // A socket that does not keep up is closed rather than buffered without bound. The peer
                // is not reading, so a close frame would never get through: the connection itself is
                // closed, which ends the reader and detaches the seat (grace, then `peer.left(timeout)`).
                if connection.socket.send(message.json) == .tooSlow { abort(id, connection) }
            case .close(let id, let code, let reason):
                guard let connection = connections[id] else { continue }
                connection.socket.close(code: code, reason: reason)
            case .recordLeave, .endRoom:
                continue
            }
        }
    }

    private func abort(_ id: ConnectionID, _ connection: Connection) {
        metrics.slowSocketClosed()
        connection.socket.abort()
    }

    /// Carries out all actions: sends first (in order), then the ledger writes.
    private func run(_ actions: [RoomMachine.Action], room: String) async {
        perform(actions, room: room)
        var writes: [OwedWrite] = []
        for action in actions {
            switch action {
            case .recordLeave(let peerId, let reason):
                if let hash = resumeOf[room]?.removeValue(forKey: peerId) { resumeIndex[hash] = nil }
                writes.append(.leave(peerId: peerId, reason: reason))
            case .endRoom:
                writes.append(.endEmpty)
            case .send, .close:
                continue
            }
        }
        guard !writes.isEmpty else { return }
        owed[room, default: []] += writes
        await flush(room)
    }

    /// Writes what is owed for `room`, in order, stopping at the first write the ledger could not take
    /// (it is retried on the next tick). Refusals that mean "already so" count as written.
    private func flush(_ room: String) async {
        guard !flushing.contains(room) else { return }
        flushing.insert(room)
        defer { flushing.remove(room) }
        while let write = owed[room]?.first {
            let start = ContinuousClock.now
            let written: Bool
            switch write {
            case .leave(let peerId, let reason):
                do {
                    try await store.leave(room: room, peerId: peerId, reason: reason)
                    written = true
                } catch .rejected(.peerNotFound), .rejected(.roomNotFound), .rejected(.roomEnded) {
                    written = true  // already recorded (the room was closed, or a restart recovered it)
                } catch {
                    logger.error("recording a leave failed; will retry", metadata: ["room": "\(room)", "code": "\(error.code)"])
                    written = false
                }
            case .endEmpty:
                do {
                    try await store.endRoom(room, reason: .empty)
                    written = true
                } catch .rejected(.roomEnded), .rejected(.roomNotFound), .rejected(.roomNotEmpty) {
                    // Not empty: someone joined meanwhile, and their join reopens the room.
                    written = true
                } catch {
                    logger.error("ending an empty room failed; will retry", metadata: ["room": "\(room)", "code": "\(error.code)"])
                    written = false
                }
            }
            metrics.observeAppend(since: start)
            guard written else { return }
            if owed[room]?.first == write { owed[room]?.removeFirst() }
            if owed[room]?.isEmpty == true { owed[room] = nil }
        }
    }
}
