import Ledger
import Projections
import Testing

@testable import Decisions

/// Outgoing states after which an invite is settled and no longer answers to the outbox or the contact.
let settledOutgoingStates = ["declined", "answered", "cancelled"]

@Suite("InviteDecisions.request")
struct InviteRequestTests {
    static func request(
        room: RoomState? = Fixture.room(),
        inviteId: String = "invite-out-1",
        contactPubkey: String = Fixture.pubkey,
        transport: InviteTransport = .nip17,
        tokenId: String? = "guest-token-1",
        nostrEvents: [JSONValue] = [Fixture.nostrEvent]
    ) throws(Rejection) -> [StreamAppend] {
        try InviteDecisions.request(
            room: room,
            inviteId: inviteId,
            contactPubkey: contactPubkey,
            transport: transport,
            tokenId: tokenId,
            nostrEvents: nostrEvents
        )
    }

    @Test(arguments: InviteTransport.allCases)
    func queuesInviteOnFreshStream(transport: InviteTransport) throws {
        let events: [JSONValue] = [Fixture.nostrEvent, .object(["id": .string("second")])]
        let appends = try Self.request(transport: transport, nostrEvents: events)
        #expect(
            appends.mirrored == [
                Append(
                    "invite-invite-out-1",
                    .noStream,
                    [
                        .inviteRequested(
                            InviteRequested(
                                inviteId: "invite-out-1",
                                room: Fixture.roomCode,
                                contactPubkey: Fixture.pubkey,
                                transport: transport,
                                tokenId: "guest-token-1",
                                nostrEvents: events
                            )
                        )
                    ]
                )
            ]
        )
    }

    @Test(arguments: [1, 16])
    func oneToSixteenNostrEventsAreAccepted(count: Int) throws {
        let appends = try Self.request(tokenId: nil, nostrEvents: Array(repeating: Fixture.nostrEvent, count: count))
        guard case .inviteRequested(let requested) = try #require(appends.first?.events.first) else {
            Issue.record("no invite.requested")
            return
        }
        #expect(requested.nostrEvents.count == count)
        #expect(requested.tokenId == nil)
    }

    @Test func missingRoomIsRefused() {
        expectRejected(.roomNotFound, code: "room_not_found") { try Self.request(room: nil) }
    }

    @Test func endedRoomIsRefused() {
        expectRejected(.roomEnded, code: "room_ended") { try Self.request(room: Fixture.room(state: "ended")) }
    }

    @Test(arguments: ["1234567", String(repeating: "i", count: 65), "invite 1x", "invite/1x", "invité-1", ""])
    func malformedInviteIdIsRefused(inviteId: String) {
        expectRejected(.invalidRequest("invite id is malformed"), code: "invalid_request") {
            try Self.request(inviteId: inviteId)
        }
    }

    @Test(arguments: [
        Fixture.pubkey.uppercased(),
        "npub1" + String(repeating: "q", count: 58),
        String(Fixture.pubkey.dropLast()),
        Fixture.pubkey + "0",
        "",
    ])
    func malformedContactPubkeyIsRefused(pubkey: String) {
        expectRejected(.invalidRequest("contact public key must be 64 hex characters"), code: "invalid_request") {
            try Self.request(contactPubkey: pubkey)
        }
    }

    @Test(arguments: [0, 17, 100])
    func nostrEventCountOutsideOneToSixteenIsRefused(count: Int) {
        expectRejected(.invalidRequest("an invite carries 1 to 16 Nostr events"), code: "invalid_request") {
            try Self.request(nostrEvents: Array(repeating: Fixture.nostrEvent, count: count))
        }
    }

    @Test func checksRunInOrder() {
        #expect(
            rejection { try Self.request(room: nil, inviteId: "", contactPubkey: "", nostrEvents: []) } == .roomNotFound
        )
        #expect(
            rejection {
                try Self.request(room: Fixture.room(state: "ended"), inviteId: "", contactPubkey: "", nostrEvents: [])
            }
                == .roomEnded
        )
        #expect(
            rejection { try Self.request(inviteId: "", contactPubkey: "", nostrEvents: []) }
                == .invalidRequest("invite id is malformed")
        )
        #expect(
            rejection { try Self.request(contactPubkey: "", nostrEvents: []) }
                == .invalidRequest("contact public key must be 64 hex characters")
        )
    }
}

@Suite("InviteDecisions.recordSent / recordFailed")
struct InviteDeliveryTests {
    static let mixed = [
        RelayOutcome(url: "wss://relay.one", ok: false, message: "rate-limited"),
        RelayOutcome(url: "wss://relay.two", ok: true),
    ]
    static let allFailed = [
        RelayOutcome(url: "wss://relay.one", ok: false, message: "blocked"),
        RelayOutcome(url: "wss://relay.two", ok: false, message: "timeout"),
    ]

    @Test func sentIsRecordedWhenOneRelayAccepted() throws {
        let appends = try InviteDecisions.recordSent(
            invite: Fixture.outgoing(version: 1), relays: Self.mixed, attempts: 2)
        #expect(
            appends.mirrored == [
                Append(
                    "invite-invite-out-1",
                    .exact(1),
                    [.inviteSent(InviteSent(inviteId: "invite-out-1", relays: Self.mixed, attempts: 2))]
                )
            ]
        )
    }

    @Test func sentIsRefusedForUnknownInvite() {
        expectRejected(.inviteNotFound, code: "invite_not_found") {
            try InviteDecisions.recordSent(invite: nil, relays: Self.mixed, attempts: 1)
        }
    }

    @Test(arguments: ["sent", "failed"] + settledOutgoingStates)
    func sentIsRefusedUnlessPending(state: String) {
        expectRejected(.inviteState(state), code: "invite_state") {
            try InviteDecisions.recordSent(invite: Fixture.outgoing(state: state), relays: Self.mixed, attempts: 1)
        }
    }

    @Test(arguments: [[], InviteDeliveryTests.allFailed])
    func zeroRelayOKsIsNotADelivery(relays: [RelayOutcome]) {
        expectRejected(.noRelayAccepted, code: "no_relay_accepted") {
            try InviteDecisions.recordSent(invite: Fixture.outgoing(), relays: relays, attempts: 5)
        }
    }

    @Test func stateIsCheckedBeforeRelays() {
        #expect(
            rejection {
                try InviteDecisions.recordSent(invite: Fixture.outgoing(state: "sent"), relays: [], attempts: 1)
            }
                == .inviteState("sent")
        )
    }

    @Test func failedIsRecordedWithCleanedReason() throws {
        let appends = try InviteDecisions.recordFailed(
            invite: Fixture.outgoing(version: 4),
            relays: Self.allFailed,
            attempts: 6,
            reason: "  all relays\n\u{0007}refused \u{202E}"
        )
        #expect(
            appends.mirrored == [
                Append(
                    "invite-invite-out-1",
                    .exact(4),
                    [
                        .inviteFailed(
                            InviteFailed(
                                inviteId: "invite-out-1", relays: Self.allFailed, attempts: 6,
                                reason: "all relays refused")
                        )
                    ]
                )
            ]
        )
    }

    @Test func failedReasonIsCappedAt500Characters() throws {
        let appends = try InviteDecisions.recordFailed(
            invite: Fixture.outgoing(),
            relays: [],
            attempts: 1,
            reason: String(repeating: "e", count: 5_000)
        )
        guard case .inviteFailed(let failed) = try #require(appends.first?.events.first) else {
            Issue.record("no invite.failed")
            return
        }
        #expect(failed.reason == String(repeating: "e", count: 500))
    }

    @Test func failedIsRefusedForUnknownInvite() {
        expectRejected(.inviteNotFound, code: "invite_not_found") {
            try InviteDecisions.recordFailed(invite: nil, relays: [], attempts: 1, reason: "x")
        }
    }

    @Test(arguments: ["sent", "failed"] + settledOutgoingStates)
    func failedIsRefusedUnlessPending(state: String) {
        expectRejected(.inviteState(state), code: "invite_state") {
            try InviteDecisions.recordFailed(
                invite: Fixture.outgoing(state: state), relays: [], attempts: 1, reason: "x")
        }
    }
}

@Suite("InviteDecisions.remoteDeclined / cancelOutgoing")
struct OutgoingAnswerTests {
    @Test(arguments: OutgoingInviteState.allCases.filter(\.isOpen).map(\.rawValue), [false, true])
    func contactDeclinesOpenInvite(state: String, busy: Bool) throws {
        let appends = try InviteDecisions.remoteDeclined(invite: Fixture.outgoing(state: state, version: 3), busy: busy)
        #expect(
            appends.mirrored == [
                Append(
                    "invite-invite-out-1",
                    .exact(3),
                    [.inviteDeclined(InviteDeclined(inviteId: "invite-out-1", by: busy ? "busy" : "remote"))]
                )
            ]
        )
    }

    @Test func openStatesArePendingSentFailed() {
        #expect(OutgoingInviteState.allCases.filter(\.isOpen) == [.pending, .sent, .failed])
    }

    @Test(arguments: [false, true])
    func declineOfUnknownInviteIsRefused(busy: Bool) {
        expectRejected(.inviteNotFound, code: "invite_not_found") {
            try InviteDecisions.remoteDeclined(invite: nil, busy: busy)
        }
    }

    @Test(arguments: settledOutgoingStates)
    func declineOfSettledInviteIsRefused(state: String) {
        expectRejected(.inviteState(state), code: "invite_state") {
            try InviteDecisions.remoteDeclined(invite: Fixture.outgoing(state: state), busy: false)
        }
    }

    @Test(arguments: OutgoingInviteState.allCases.filter(\.isOpen).map(\.rawValue))
    func ownerCancelsOpenInvite(state: String) throws {
        let appends = try InviteDecisions.cancelOutgoing(
            invite: Fixture.outgoing(state: state, version: 2), reason: "owner")
        #expect(
            appends.mirrored == [
                Append(
                    "invite-invite-out-1",
                    .exact(2),
                    [.inviteCancelled(InviteCancelled(inviteId: "invite-out-1", reason: "owner"))]
                )
            ]
        )
    }

    @Test func cancelOfUnknownInviteIsRefused() {
        expectRejected(.inviteNotFound, code: "invite_not_found") {
            try InviteDecisions.cancelOutgoing(invite: nil, reason: "owner")
        }
    }

    @Test(arguments: settledOutgoingStates)
    func cancelOfSettledInviteIsRefused(state: String) {
        expectRejected(.inviteState(state), code: "invite_state") {
            try InviteDecisions.cancelOutgoing(invite: Fixture.outgoing(state: state), reason: "owner")
        }
    }
}

@Suite("InviteDecisions.receive")
struct InviteReceiveTests {
    @Test func verifiedInviteIsRecordedOnFreshStream() throws {
        let appends = try InviteDecisions.receive(Fixture.received(), alreadyReceived: false)
        #expect(
            appends.mirrored == [
                Append(
                    "invite-invite-in-1",
                    .noStream,
                    [
                        .inviteReceived(
                            InviteReceived(
                                inviteId: "invite-in-1",
                                nostrEventId: Fixture.eventId,
                                senderPubkey: Fixture.pubkey,
                                senderName: "Grace",
                                room: "their-room",
                                joinUrl: "https://grace.example/calls?room=their-room&token=t",
                                sentAt: Fixture.now - 2_000,
                                receivedAt: Fixture.now - 1_000
                            )
                        )
                    ]
                )
            ]
        )
    }

    @Test(arguments: [
        ("\u{202E}Grace\u{202C} \u{200B}Hopper", "Grace Hopper"),
        ("Grace\n\n\tHopper\u{0000}", "Grace Hopper"),
        ("", "Unknown caller"),
        ("  \u{2028}  ", "Unknown caller"),
        ("\u{2066}\u{2067}\u{2068}\u{2069}\u{200E}\u{200F}", "Unknown caller"),
        ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),
        (String(repeating: "G", count: 10_000), String(repeating: "G", count: 64)),
    ])
    func callerNameIsCleanedCappedAndDefaulted(raw: String, shown: String) throws {
        let appends = try InviteDecisions.receive(Fixture.received(senderName: raw), alreadyReceived: false)
        guard case .inviteReceived(let received) = try #require(appends.first?.events.first) else {
            Issue.record("no invite.received")
            return
        }
        #expect(received.senderName == shown)
    }

    @Test(arguments: ["1234567", String(repeating: "i", count: 65), "in vite-1", "../../etc", "invite\u{0}00", ""])
    func malformedInviteIdIsRefused(inviteId: String) {
        expectRejected(.invalidRequest("invite id is malformed"), code: "invalid_request") {
            try InviteDecisions.receive(Fixture.received(inviteId: inviteId), alreadyReceived: false)
        }
    }

    @Test func duplicateIsRefused() {
        expectRejected(.duplicateInvite, code: "duplicate_invite") {
            try InviteDecisions.receive(Fixture.received(), alreadyReceived: true)
        }
    }

    @Test(arguments: [
        Fixture.eventId.uppercased(), String(Fixture.eventId.dropLast()), "", "z" + String(Fixture.eventId.dropFirst()),
    ])
    func malformedEventIdIsRefused(eventId: String) {
        expectRejected(.invalidRequest("event id must be 64 hex characters"), code: "invalid_request") {
            try InviteDecisions.receive(Fixture.received(nostrEventId: eventId), alreadyReceived: false)
        }
    }

    @Test(arguments: [Fixture.pubkey.uppercased(), "npub1" + String(repeating: "q", count: 58), ""])
    func malformedSenderIsRefused(sender: String) {
        expectRejected(.invalidRequest("sender must be a hex public key"), code: "invalid_request") {
            try InviteDecisions.receive(Fixture.received(senderPubkey: sender), alreadyReceived: false)
        }
    }

    @Test(arguments: ["", "room code", "room/../x", "<script>", String(repeating: "r", count: 65)])
    func malformedRoomIsRefused(room: String) {
        expectRejected(.invalidRequest("room code is malformed"), code: "invalid_request") {
            try InviteDecisions.receive(Fixture.received(room: room), alreadyReceived: false)
        }
    }

    @Test(arguments: [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://grace.example/calls",
        "file:///etc/passwd",
        "https://grace.example/calls?room=x&token= y",
        "",
    ])
    func unsafeJoinURLIsRefused(url: String) {
        expectRejected(
            .invalidRequest("join URL must be https, or http to a loopback or tailnet host"),
            code: "invalid_request"
        ) {
            try InviteDecisions.receive(Fixture.received(joinUrl: url), alreadyReceived: false)
        }
    }

    @Test(arguments: [
        "http://127.0.0.1:8080/calls?room=r", "http://grace.tail0abc.ts.net/calls", "http://100.100.1.2/calls",
    ])
    func localOrTailnetHTTPJoinURLIsAccepted(url: String) throws {
        let appends = try InviteDecisions.receive(Fixture.received(joinUrl: url), alreadyReceived: false)
        guard case .inviteReceived(let received) = try #require(appends.first?.events.first) else {
            Issue.record("no invite.received")
            return
        }
        #expect(received.joinUrl == url)
    }

    @Test func checksRunInOrder() {
        let hostile = Fixture.received(
            inviteId: "bad id",
            nostrEventId: "x",
            senderPubkey: "y",
            room: "bad room",
            joinUrl: "javascript:alert(1)"
        )
        #expect(
            rejection { try InviteDecisions.receive(hostile, alreadyReceived: true) }
                == .invalidRequest("invite id is malformed"))
        var next = hostile
        next.inviteId = "invite-in-1"
        #expect(rejection { try InviteDecisions.receive(next, alreadyReceived: true) } == .duplicateInvite)
        #expect(
            rejection { try InviteDecisions.receive(next, alreadyReceived: false) }
                == .invalidRequest("event id must be 64 hex characters")
        )
        next.nostrEventId = Fixture.eventId
        #expect(
            rejection { try InviteDecisions.receive(next, alreadyReceived: false) }
                == .invalidRequest("sender must be a hex public key")
        )
        next.senderPubkey = Fixture.pubkey
        #expect(
            rejection { try InviteDecisions.receive(next, alreadyReceived: false) }
                == .invalidRequest("room code is malformed"))
    }
}

@Suite("InviteDecisions on incoming calls")
struct IncomingCallTests {
    typealias Decision = @Sendable (Versioned<IncomingCallRecord>?) throws(Rejection) -> [StreamAppend]

    @Test(arguments: ["ringing", "missed"])
    func dismissFromRingingOrMissed(status: String) throws {
        let appends = try InviteDecisions.dismiss(Fixture.incoming(status: status, version: 2))
        #expect(
            appends.mirrored == [
                Append("invite-invite-in-1", .exact(2), [.inviteDismissed(InviteDismissed(inviteId: "invite-in-1"))])
            ]
        )
    }

    @Test(arguments: ["dismissed", "accepted", "declined"])
    func dismissIsRefusedOtherwise(status: String) {
        expectRejected(.inviteState(status), code: "invite_state") {
            try InviteDecisions.dismiss(Fixture.incoming(status: status))
        }
    }

    @Test func acceptFromRinging() throws {
        let appends = try InviteDecisions.accept(Fixture.incoming(version: 1))
        #expect(
            appends.mirrored == [
                Append("invite-invite-in-1", .exact(1), [.inviteAccepted(InviteAccepted(inviteId: "invite-in-1"))])
            ]
        )
    }

    @Test func acceptAfterRingWindowStillWorksWhileStoredRinging() throws {
        // Missed-by-clock is derived at read time; the stored status stays ringing and can be joined.
        var call = Fixture.incoming(version: 1)
        call.value.receivedAt = Fixture.now - Fixture.hour
        #expect(call.value.status(now: Fixture.now, ringWindow: Fixture.minute) == .missed)
        #expect(try InviteDecisions.accept(call).count == 1)
    }

    @Test func declineFromRinging() throws {
        let appends = try InviteDecisions.decline(Fixture.incoming(version: 4))
        #expect(
            appends.mirrored == [
                Append(
                    "invite-invite-in-1", .exact(4),
                    [.inviteDeclined(InviteDeclined(inviteId: "invite-in-1", by: "owner"))])
            ]
        )
    }

    @Test func callerWithdrawsRingingCallWithCleanedReason() throws {
        let appends = try InviteDecisions.remoteCancelled(
            Fixture.incoming(version: 2), reason: " room_closed\u{202E}\n")
        #expect(
            appends.mirrored == [
                Append(
                    "invite-invite-in-1",
                    .exact(2),
                    [.inviteCancelled(InviteCancelled(inviteId: "invite-in-1", reason: "room_closed"))]
                )
            ]
        )
    }

    @Test func callerWithdrawReasonIsCappedAt64() throws {
        let appends = try InviteDecisions.remoteCancelled(
            Fixture.incoming(), reason: String(repeating: "r", count: 1_000))
        guard case .inviteCancelled(let cancelled) = try #require(appends.first?.events.first) else {
            Issue.record("no invite.cancelled")
            return
        }
        #expect(cancelled.reason == String(repeating: "r", count: 64))
    }

    static let ringingOnly: [(String, Decision)] = [
        ("accept", { call throws(Rejection) in try InviteDecisions.accept(call) }),
        ("decline", { call throws(Rejection) in try InviteDecisions.decline(call) }),
        (
            "remoteCancelled",
            { call throws(Rejection) in try InviteDecisions.remoteCancelled(call, reason: "call_cancelled") }
        ),
    ]

    static let dismissToo: [(String, Decision)] = [
        ("dismiss", { call throws(Rejection) in try InviteDecisions.dismiss(call) })
    ]

    @Test func everyIncomingDecisionRefusesUnknownInvite() {
        for (name, decide) in Self.ringingOnly + Self.dismissToo {
            let actual = rejection { try decide(nil) }
            #expect(actual == .inviteNotFound, "\(name)")
            #expect(actual?.code == "invite_not_found", "\(name)")
        }
    }

    @Test(arguments: ["missed", "dismissed", "accepted", "declined"])
    func ringingOnlyDecisionsRefuseOtherStatuses(status: String) {
        for (name, decide) in Self.ringingOnly {
            let actual = rejection { try decide(Fixture.incoming(status: status)) }
            #expect(actual == .inviteState(status), "\(name)")
            #expect(actual?.code == "invite_state", "\(name)")
        }
    }

    @Test func ringingOnlyDecisionsAcceptRinging() throws {
        for (name, decide) in Self.ringingOnly {
            let appends = try decide(Fixture.incoming(version: 7))
            #expect(appends.mirrored.map(\.expected) == [.exact(7)], "\(name)")
            #expect(appends.mirrored.map(\.stream) == ["invite-invite-in-1"], "\(name)")
        }
    }
}
