import CrowSecurity
import Ledger

/// Realistic gateway traffic, as episodes of events that the projections accept.
///
/// Two kinds of episode, in a fixed rotation (two hosted calls, then one incoming call):
/// - a hosted call, 10 events: `room.created`; `token.issued` for a host and a guest link;
///   `token.used` + `peer.joined` for each; `peer.left` for each; `room.ended(empty)`;
/// - an incoming call from one of 20 contacts, 1 or 2 events: `invite.received`, then (by rotation)
///   accepted, dismissed, declined, cancelled (missed), or nothing (still ringing).
///
/// About 9% of the events are invite events, so a ledger of 1,000,000 events holds about 45,000
/// incoming calls.
struct CallWorkload: Sendable {
    /// One event on one stream.
    struct Step: Sendable {
        let stream: String
        let event: LedgerEvent
    }

    private static let hostNames = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances"]
    private static let guestNames = ["Alan", "Edsger", "Donald", "Radia", "Tim", "Sophie", "Niklaus", "Joan"]
    private static let contactCount = 20
    private static let leaveReasons: [LeaveReason] = [.hangup, .hangup, .hangup, .disconnect, .timeout]

    private var ids: BenchIdentifiers
    private var episodes = 0
    /// Single-event appends not yet handed out, with the stream versions they expect.
    private var pending: [StreamAppend] = []
    private var pendingIndex = 0

    init(lane: Int, key: UInt64) {
        ids = BenchIdentifiers(lane: lane, key: key)
    }

    // MARK: - Episodes

    /// The next episode, with payload times around `now` (unix ms).
    mutating func nextEpisode(now: Int64) -> [Step] {
        episodes += 1
        return episodes % 3 == 0 ? incomingCall(now: now) : hostedCall(now: now)
    }

    private mutating func hostedCall(now: Int64) -> [Step] {
        let code = ids.roomCode()
        let room = StreamName.room(code)
        // Token and invite ids sort by time, as the gateway mints them; peer ids are random.
        let host = Secrets.orderedIdentifier(now: now)
        let guest = Secrets.orderedIdentifier(now: now)
        let hostPeer = ids.identifier()
        let guestPeer = ids.identifier()
        let hostName = Self.hostNames[episodes % Self.hostNames.count]
        let guestName = Self.guestNames[(episodes / 3) % Self.guestNames.count]
        let expiresAt = now + 24 * 3_600_000
        return [
            Step(stream: room, event: .roomCreated(RoomCreated(
                code: code, hostName: hostName, maxPeers: 8, createdBy: .panel, expiresAt: expiresAt))),
            Step(stream: StreamName.token(host), event: .tokenIssued(TokenIssued(
                tokenId: host, room: code, tokenHash: ids.hex64(), role: .host, expiresAt: expiresAt))),
            Step(stream: StreamName.token(guest), event: .tokenIssued(TokenIssued(
                tokenId: guest, room: code, tokenHash: ids.hex64(), role: .guest, label: "guest link",
                expiresAt: now + 3_600_000))),
            Step(stream: StreamName.token(host), event: .tokenUsed(TokenUsed(tokenId: host, room: code, peerId: hostPeer))),
            Step(stream: room, event: .peerJoined(PeerJoined(
                room: code, peerId: hostPeer, displayName: hostName, tokenId: host))),
            Step(stream: StreamName.token(guest), event: .tokenUsed(TokenUsed(tokenId: guest, room: code, peerId: guestPeer))),
            Step(stream: room, event: .peerJoined(PeerJoined(
                room: code, peerId: guestPeer, displayName: guestName, tokenId: guest))),
            Step(stream: room, event: .peerLeft(PeerLeft(
                room: code, peerId: guestPeer, reason: Self.leaveReasons[episodes % Self.leaveReasons.count]))),
            Step(stream: room, event: .peerLeft(PeerLeft(room: code, peerId: hostPeer, reason: .hangup))),
            Step(stream: room, event: .roomEnded(RoomEnded(room: code, reason: .empty, durationMs: 754_000))),
        ]
    }

    private mutating func incomingCall(now: Int64) -> [Step] {
        let inviteId = Secrets.orderedIdentifier(now: now)
        let stream = StreamName.invite(inviteId)
        let contact = (episodes / 3) % Self.contactCount
        let remoteRoom = ids.roomCode()
        var steps = [
            Step(stream: stream, event: .inviteReceived(InviteReceived(
                inviteId: inviteId,
                nostrEventId: ids.hex64(),
                senderPubkey: BenchIdentifiers.contactKey(contact),
                senderName: Self.guestNames[contact % Self.guestNames.count],
                room: remoteRoom,
                joinUrl: "https://crow-\(contact).example.net/calls/r/\(remoteRoom)",
                sentAt: now - 850,
                receivedAt: now
            ))),
        ]
        switch (episodes / 3) % 10 {
        case 0, 1, 2, 3: steps.append(Step(stream: stream, event: .inviteAccepted(InviteAccepted(inviteId: inviteId))))
        case 4, 5: steps.append(Step(stream: stream, event: .inviteDismissed(InviteDismissed(inviteId: inviteId))))
        case 6: steps.append(Step(stream: stream, event: .inviteDeclined(InviteDeclined(inviteId: inviteId, by: "owner"))))
        case 7, 8: steps.append(Step(stream: stream, event: .inviteCancelled(InviteCancelled(inviteId: inviteId, reason: "call_cancelled"))))
        default: break  // still ringing (missed at read time once the ring window passes)
        }
        return steps
    }

    // MARK: - Appends

    /// The next single-event append, in causal order, with the exact version its stream expects.
    mutating func nextSingleAppend(now: Int64) -> StreamAppend {
        if pendingIndex == pending.count {
            pending = Self.singleAppends(nextEpisode(now: now))
            pendingIndex = 0
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    /// The next append in causal order, as the gateway's decisions would make it: one event, except that
    /// a `token.used` and the `peer.joined` it admits go together in one append (so the ledger keeps
    /// the rule `crow-ledger verify` checks: every join is paid for by a token in the same transaction).
    mutating func nextCommand(now: Int64) -> [StreamAppend] {
        let first = nextSingleAppend(now: now)
        guard case .tokenUsed = first.events.first, pendingIndex < pending.count,
            case .peerJoined = pending[pendingIndex].events.first
        else { return [first] }
        return [first, nextSingleAppend(now: now)]
    }

    /// Forgets the rest of the current episode (after a refused append), so the next append starts a new one.
    mutating func abandonEpisode() {
        pendingIndex = pending.count
    }

    /// One append of whole episodes holding at least `events` events: each stream once, `.noStream`.
    /// Payload times start at `now` and advance `millisecondsPerEvent` per event.
    mutating func nextBatch(
        events: Int,
        now: Int64,
        millisecondsPerEvent: Double = 0
    ) -> (appends: [StreamAppend], events: Int) {
        var appends: [StreamAppend] = []
        var count = 0
        while count < events {
            let steps = nextEpisode(now: now + Int64(Double(count) * millisecondsPerEvent))
            count += steps.count
            appends += Self.grouped(steps)
        }
        return (appends, count)
    }

    static func singleAppends(_ steps: [Step]) -> [StreamAppend] {
        var versions: [String: Int] = [:]
        return steps.map { step in
            let version = versions[step.stream, default: 0]
            versions[step.stream] = version + 1
            return StreamAppend(
                stream: step.stream,
                expected: version == 0 ? .noStream : .exact(version),
                events: [step.event]
            )
        }
    }

    /// The steps of new streams as one append per stream, streams in order of first appearance.
    static func grouped(_ steps: [Step]) -> [StreamAppend] {
        var order: [String] = []
        var events: [String: [LedgerEvent]] = [:]
        for step in steps {
            if events[step.stream] == nil { order.append(step.stream) }
            events[step.stream, default: []].append(step.event)
        }
        return order.map { StreamAppend(stream: $0, expected: .noStream, events: events[$0]!) }
    }
}
