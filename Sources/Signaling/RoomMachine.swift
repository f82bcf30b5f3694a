import CrowSecurity
import Decisions
import Ledger

/// Identifies one WebSocket connection for the lifetime of the process.
public typealias ConnectionID = UInt64

/// The live state of one room's connections, as a pure state machine: each input returns the actions
/// to carry out (messages to send, sockets to close, leaves to record). No I/O, no clock of its own:
/// times come in with the inputs. `SignalingHub` owns the machines and performs their actions.
///
/// A seat is a participant admitted by the ledger. It is attached to a connection while the socket is
/// up. When the socket drops, the seat waits `grace` milliseconds for a resume before the peer is
/// recorded as gone (`peer.left(timeout)`), so a brief network loss does not make everyone else tear
/// down their media. A seat that was admitted but whose socket never came up is not announced.
struct RoomMachine: Sendable {
    struct Seat: Sendable, Hashable {
        var peerId: String
        var name: String
        var media: MediaState
        var connection: ConnectionID?
        /// When the seat is released if nobody resumes it (unix ms); nil while connected.
        var releaseAt: Int64?
        /// Whether the others were told about this peer.
        var announced: Bool
        /// The page said it is going away (`away`): when the socket drops, the short grace applies.
        var away = false

        var info: PeerInfo {
            PeerInfo(peerId: peerId, name: name, audio: media.audio, video: media.video, screen: media.screen)
        }
    }

    enum Action: Sendable, Hashable {
        case send(ConnectionID, ServerMessage)
        /// Close a socket with a WebSocket close code.
        case close(ConnectionID, code: UInt16, reason: String)
        /// Record `peer.left` in the ledger.
        case recordLeave(peerId: String, reason: LeaveReason)
        /// The room has been empty for its grace period: end it (`room.ended(empty)`).
        case endRoom
    }

    let code: String
    let maxPeers: Int
    let grace: Int64
    /// The grace of a seat whose page said it was going away: enough for a reload to resume.
    let awayGrace: Int64
    let emptyGrace: Int64
    /// Seats in join order.
    private(set) var seats: [Seat] = []
    /// Since when nobody has held a seat (unix ms), for ending empty rooms.
    private(set) var emptySince: Int64?
    private(set) var closed = false

    init(code: String, maxPeers: Int, grace: Int64, awayGrace: Int64 = 8_000, emptyGrace: Int64, now: Int64) {
        self.code = code
        self.maxPeers = maxPeers
        self.grace = grace
        self.awayGrace = min(awayGrace, grace)
        self.emptyGrace = emptyGrace
        self.emptySince = now
    }

    var isEmpty: Bool { seats.isEmpty }

    func seat(_ peerId: String) -> Seat? { seats.first { $0.peerId == peerId } }

    func peer(on connection: ConnectionID) -> String? {
        seats.first { $0.connection == connection }?.peerId
    }

    // MARK: - Inputs

    /// The ledger admitted a peer; its socket is about to come up. Until it does the seat is pending.
    mutating func admitted(peerId: String, name: String, now: Int64) -> [Action] {
        guard !closed, seat(peerId) == nil else { return [] }
        seats.append(Seat(peerId: peerId, name: name, media: MediaState(), connection: nil, releaseAt: now + grace, announced: false))
        emptySince = nil
        return []
    }

    /// A socket came up for an admitted or resuming peer. `resume` is the secret for the next resume.
    mutating func attach(
        peerId: String,
        connection: ConnectionID,
        resume: String,
        iceServers: [IceServer],
        now: Int64
    ) -> [Action] {
        guard !closed, let index = seats.firstIndex(where: { $0.peerId == peerId }) else {
            return [
                .send(connection, .error(code: "room_ended", message: "the room has ended")),
                .close(connection, code: 4410, reason: "room ended"),
            ]
        }
        var actions: [Action] = []
        if let old = seats[index].connection, old != connection {
            // The same peer resumed on a new socket before the old one was seen to drop.
            actions.append(.close(old, code: 4409, reason: "resumed elsewhere"))
        }
        seats[index].connection = connection
        seats[index].releaseAt = nil
        seats[index].away = false
        let others = seats.filter { $0.peerId != peerId && $0.announced }
        actions.append(
            .send(
                connection,
                .welcome(peerId: peerId, resume: resume, peers: others.map(\.info), maxPeers: maxPeers, iceServers: iceServers)
            )
        )
        if !seats[index].announced {
            seats[index].announced = true
            let joined = seats[index].info
            for other in others { if let c = other.connection { actions.append(.send(c, .peerJoined(joined))) } }
        }
        return actions
    }

    /// A message from the participant on `connection`.
    mutating func receive(_ message: ClientMessage, on connection: ConnectionID, now: Int64) -> [Action] {
        guard let index = seats.firstIndex(where: { $0.connection == connection }) else { return [] }
        let sender = seats[index].peerId
        switch message {
        case .ping:
            return [.send(connection, .pong)]
        case .signal(let to, let data):
            guard to != sender, let target = seats.first(where: { $0.peerId == to }) else {
                return [.send(connection, .error(code: "peer_not_found", message: "no such peer in this room"))]
            }
            guard let targetConnection = target.connection else {
                return [.send(connection, .error(code: "peer_unavailable", message: "that peer is reconnecting"))]
            }
            // `from` is always the sender's seat, whatever the message claimed.
            return [.send(targetConnection, .signal(from: sender, data: data))]
        case .state(let audio, let video, let screen, let name):
            var seat = seats[index]
            if let audio { seat.media.audio = audio }
            if let video { seat.media.video = video }
            if let screen { seat.media.screen = screen }
            // Cleaned like every name: no control or bidi characters, bounded size.
            if let name { seat.name = TextRules.displayName(name, fallback: seat.name) }
            seats[index] = seat
            return others(than: sender).map { .send($0, .state(from: sender, media: seat.media, name: seat.name)) }
        case .away:
            seats[index].away = true
            return []
        case .leave:
            seats.remove(at: index)
            noteIfEmpty(now: now)
            var actions: [Action] = [.recordLeave(peerId: sender, reason: .hangup)]
            actions += others(than: sender).map { .send($0, .peerLeft(peerId: sender, reason: LeaveReason.hangup.rawValue)) }
            actions.append(.close(connection, code: 1000, reason: "left"))
            return actions
        }
    }

    /// The socket of `connection` went away (dropped, or closed by the client without `leave`).
    mutating func detached(_ connection: ConnectionID, now: Int64) -> [Action] {
        guard let index = seats.firstIndex(where: { $0.connection == connection }) else { return [] }
        seats[index].connection = nil
        seats[index].releaseAt = now + (seats[index].away ? awayGrace : grace)
        return []
    }

    /// Releases seats whose grace ran out and ends the room once it has been empty long enough.
    mutating func tick(now: Int64) -> [Action] {
        var actions: [Action] = []
        let expired = seats.filter { ($0.releaseAt ?? .max) <= now }
        for seat in expired {
            seats.removeAll { $0.peerId == seat.peerId }
            actions.append(.recordLeave(peerId: seat.peerId, reason: .timeout))
            if seat.announced {
                actions += others(than: seat.peerId).map { .send($0, .peerLeft(peerId: seat.peerId, reason: LeaveReason.timeout.rawValue)) }
            }
        }
        if !expired.isEmpty { noteIfEmpty(now: now) }
        if !closed, seats.isEmpty, let since = emptySince, now - since >= emptyGrace {
            closed = true
            actions.append(.endRoom)
        }
        return actions
    }

    /// The room stayed empty and its end was ordered (`endRoom`), but the ledger admitted a join first:
    /// the room goes on.
    mutating func reopen() {
        closed = false
    }

    /// The room was ended in the ledger (closed by the owner, or expired). The ledger already holds
    /// everyone's `peer.left(kicked)`; tell them and close their sockets.
    mutating func roomEnded(reason: String) -> [Action] {
        closed = true
        var actions: [Action] = []
        for seat in seats {
            guard let connection = seat.connection else { continue }
            actions.append(.send(connection, .roomClosed(reason: reason)))
            actions.append(.close(connection, code: 4000, reason: "room closed"))
        }
        seats.removeAll()
        return actions
    }

    /// The gateway is stopping: record everyone as left for `shutdown`. Sockets are closed by the server.
    mutating func shutdown() -> [Action] {
        let actions = seats.map { Action.recordLeave(peerId: $0.peerId, reason: .shutdown) }
        seats.removeAll()
        closed = true
        return actions
    }

    // MARK: - Helpers

    private func others(than peerId: String) -> [ConnectionID] {
        seats.compactMap { $0.peerId != peerId && $0.announced ? $0.connection : nil }
    }

    private mutating func noteIfEmpty(now: Int64) {
        if seats.isEmpty, emptySince == nil { emptySince = now }
    }
}
