import CallStore
import Decisions
import Foundation
import Ledger
import Logging
import Projections

/// What goes out on one socket, in order.
enum Outgoing: Sendable, Equatable {
    case text(String)
    case close(code: UInt16, reason: String)
}

/// A join the upgrade check admitted, handed to the socket's handler.
struct SignalingAdmission: Sendable {
    var room: String
    var peerId: String
    var ip: String
}

/// Owns every room's `RoomMachine` and every open signaling socket, and carries out the machines'
/// actions: messages go to the sockets' outgoing queues, leaves and room ends go to the ledger through
/// `CallStore`. SDP and ICE candidates pass through memory only.
actor SignalingHub {
    struct Settings: Sendable {
        /// How long a dropped seat waits for a resume (ms).
        var grace: Int64 = 20_000
        /// How long an empty room stays open before it ends (ms).
        var emptyGrace: Int64 = 120_000
        /// Messages queued for one slow socket before it is closed.
        var outgoingQueue = 256
        var iceServers = IceServerProvider()
    }

    private struct Connection {
        let room: String
        let peerId: String
        let continuation: AsyncStream<Outgoing>.Continuation
    }

    private let store: CallStore
    private let metrics: GatewayMetrics
    private let logger: Logger
    let settings: Settings
    private var rooms: [String: RoomMachine] = [:]
    private var connections: [ConnectionID: Connection] = [:]
    /// SHA-256 of a resume secret → the seat it resumes. Only hashes are kept.
    private var resumeIndex: [String: (room: String, peerId: String)] = [:]
    private var resumeOf: [String: String] = [:]  // peer id → its current resume hash
    private var nextConnection: ConnectionID = 1
    private(set) var shuttingDown = false

    init(store: CallStore, metrics: GatewayMetrics, settings: Settings, logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.settings = settings
        self.logger = logger
    }

    private var now: Int64 { store.settings.clock() }

    // MARK: - Joining

    /// Registers a seat the ledger just admitted; its socket comes next.
    func admitted(_ admission: CallStore.Admission) {
        let room = admission.room
        var machine = rooms[room.code] ?? RoomMachine(
            code: room.code,
            maxPeers: room.maxPeers,
            grace: settings.grace,
            emptyGrace: settings.emptyGrace,
            now: now
        )
        _ = machine.admitted(peerId: admission.peerId, name: admission.displayName, now: now)
        rooms[room.code] = machine
    }

    /// The seat a resume secret (by hash) belongs to, if it is still held in `room`.
    func resumableSeat(room: String, secretHash: String) -> String? {
        guard let seat = resumeIndex[secretHash], seat.room == room, rooms[room]?.seat(seat.peerId) != nil else { return nil }
        return seat.peerId
    }

    /// Attaches a socket to its seat. Returns the connection id, or nil when the seat is gone.
    func connect(_ admission: SignalingAdmission, outgoing: AsyncStream<Outgoing>.Continuation) -> ConnectionID {
        let id = nextConnection
        nextConnection += 1
        connections[id] = Connection(room: admission.room, peerId: admission.peerId, continuation: outgoing)
        metrics.connectionOpened()
        // A fresh resume secret on every (re)connect; the old one stops working.
        let secret = Secrets.token()
        let hash = Secrets.hash(secret)
        if let old = resumeOf[admission.peerId] { resumeIndex[old] = nil }
        resumeOf[admission.peerId] = hash
        resumeIndex[hash] = (admission.room, admission.peerId)
        guard var machine = rooms[admission.room] else {
            perform([.send(id, .error(code: "room_ended", message: "the room has ended")), .close(id, code: 4410, reason: "room ended")], room: admission.room)
            return id
        }
        let actions = machine.attach(
            peerId: admission.peerId,
            connection: id,
            resume: secret,
            iceServers: settings.iceServers.servers(for: admission.peerId, now: now),
            now: now
        )
        rooms[admission.room] = machine
        perform(actions, room: admission.room)
        return id
    }

    // MARK: - Traffic

    /// A parsed message from a socket. Parsing happens in the socket's own task, off this actor.
    func receive(_ message: ClientMessage, on id: ConnectionID) async {
        guard let connection = connections[id], var machine = rooms[connection.room] else { return }
        let actions = machine.receive(message, on: id, now: now)
        rooms[connection.room] = machine
        if case .signal = message, actions.contains(where: { if case .send(let c, _) = $0 { c != id } else { false } }) {
            metrics.relayedMessage()
        }
        await run(actions, room: connection.room)
    }

    /// Tells one socket something without involving its room (rate limits, for instance).
    func notify(_ id: ConnectionID, _ message: ServerMessage) {
        guard let connection = connections[id] else { return }
        perform([.send(id, message)], room: connection.room)
    }

    func close(_ id: ConnectionID, code: UInt16, reason: String) {
        guard let connection = connections[id] else { return }
        perform([.close(id, code: code, reason: reason)], room: connection.room)
    }

    /// The socket's handler ended: the socket is gone. Its seat waits for a resume unless the peer left.
    func disconnected(_ id: ConnectionID) {
        guard let connection = connections.removeValue(forKey: id) else { return }
        connection.continuation.finish()
        metrics.connectionClosed()
        guard !shuttingDown, var machine = rooms[connection.room] else { return }
        _ = machine.detached(id, now: now)
        rooms[connection.room] = machine
    }

    // MARK: - Time, room ends, shutdown

    /// Releases expired seats and ends rooms that stayed empty. Called about once a second.
    func tick() async {
        let now = self.now
        for code in Array(rooms.keys) {
            guard var machine = rooms[code] else { continue }
            let actions = machine.tick(now: now)
            rooms[code] = machine
            if !actions.isEmpty { await run(actions, room: code) }
        }
    }

    /// The room ended in the ledger (owner closed it, or it expired): tell everyone and close their sockets.
    func roomEnded(_ code: String, reason: String) {
        guard var machine = rooms.removeValue(forKey: code) else { return }
        perform(machine.roomEnded(reason: reason), room: code)
    }

    /// Records `peer.left(shutdown)` for every seat and closes every socket.
    func shutdown() async {
        shuttingDown = true
        for code in Array(rooms.keys) {
            guard var machine = rooms.removeValue(forKey: code) else { continue }
            let seats = machine.seats
            await run(machine.shutdown(), room: code)
            for seat in seats {
                if let id = seat.connection { perform([.close(id, code: 1001, reason: "server shutting down")], room: code) }
            }
        }
    }

    var openConnections: Int { connections.count }
    var liveRooms: Int { rooms.count }

    // MARK: - Carrying out actions

    /// Carries out the actions that need no ledger write (sends and closes), synchronously and in order.
    private func perform(_ actions: [RoomMachine.Action], room: String) {
        for action in actions {
            switch action {
            case .send(let id, let message):
                guard let connection = connections[id] else { continue }
                // A socket that does not keep up is closed rather than buffered without bound: the
                // last slot of its queue is kept for the close.
                switch connection.continuation.yield(.text(message.json)) {
                case .enqueued(let remaining) where remaining <= 1:
                    connection.continuation.yield(.close(code: 1008, reason: "too slow"))
                    connection.continuation.finish()
                case .dropped:
                    connection.continuation.finish()
                default:
                    break
                }
            case .close(let id, let code, let reason):
                guard let connection = connections[id] else { continue }
                connection.continuation.yield(.close(code: code, reason: reason))
                connection.continuation.finish()
            case .recordLeave, .endRoom:
                continue
            }
        }
    }

    /// Carries out all actions: sends first (in order), then the ledger writes.
    private func run(_ actions: [RoomMachine.Action], room: String) async {
        perform(actions, room: room)
        for action in actions {
            switch action {
            case .recordLeave(let peerId, let reason):
                if let hash = resumeOf.removeValue(forKey: peerId) { resumeIndex[hash] = nil }
                let start = ContinuousClock.now
                defer { metrics.observeAppend(since: start) }
                do {
                    try await store.leave(room: room, peerId: peerId, reason: reason)
                } catch .rejected(.peerNotFound), .rejected(.roomNotFound) {
                    continue  // already recorded (the room was closed, or a restart recovered it)
                } catch {
                    logger.error("recording a leave failed", metadata: ["room": "\(room)", "code": "\(error.code)"])
                }
            case .endRoom:
                rooms[room] = nil
                let start = ContinuousClock.now
                defer { metrics.observeAppend(since: start) }
                do {
                    try await store.endRoom(room, reason: .empty)
                } catch .rejected(.roomEnded), .rejected(.roomNotFound), .rejected(.roomNotEmpty) {
                    continue
                } catch {
                    logger.error("ending an empty room failed", metadata: ["room": "\(room)", "code": "\(error.code)"])
                }
            case .send, .close:
                continue
            }
        }
    }
}
