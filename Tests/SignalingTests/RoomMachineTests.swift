import Ledger
import Testing

@testable import Signaling

/// The room state machine without any I/O: inputs in, actions out.
@Suite struct RoomMachineTests {
    static func machine() -> RoomMachine {
        RoomMachine(code: "room1", maxPeers: 4, grace: 20_000, emptyGrace: 60_000, now: 0)
    }

    /// Two peers, Ada on connection 1 and Bob on connection 2, both announced.
    static func twoPeers() -> RoomMachine {
        var room = machine()
        _ = room.admitted(peerId: "ada", name: "Ada", now: 0)
        _ = room.attach(peerId: "ada", connection: 1, resume: "r1", iceServers: [], now: 0)
        _ = room.admitted(peerId: "bob", name: "Bob", now: 1)
        _ = room.attach(peerId: "bob", connection: 2, resume: "r2", iceServers: [], now: 1)
        return room
    }

    static func sends(_ actions: [RoomMachine.Action]) -> [(ConnectionID, ServerMessage)] {
        actions.compactMap { if case .send(let c, let m) = $0 { (c, m) } else { nil } }
    }

    @Test func aJoinWelcomesTheNewcomerAndAnnouncesThemToOthers() {
        var room = Self.machine()
        _ = room.admitted(peerId: "ada", name: "Ada", now: 0)
        let first = room.attach(peerId: "ada", connection: 1, resume: "r1", iceServers: [], now: 0)
        #expect(first == [.send(1, .welcome(peerId: "ada", resume: "r1", peers: [], maxPeers: 4, iceServers: []))])
        _ = room.admitted(peerId: "bob", name: "Bob", now: 1)
        let second = room.attach(peerId: "bob", connection: 2, resume: "r2", iceServers: [], now: 1)
        let ada = PeerInfo(peerId: "ada", name: "Ada", audio: true, video: false, screen: false)
        let bob = PeerInfo(peerId: "bob", name: "Bob", audio: true, video: false, screen: false)
        #expect(second == [.send(2, .welcome(peerId: "bob", resume: "r2", peers: [ada], maxPeers: 4, iceServers: [])), .send(1, .peerJoined(bob))])
    }

    @Test func signalsGoOnlyToTheirTargetWithTheSendersIdAsFrom() {
        var room = Self.twoPeers()
        let data = RawJSON(JSONValue.object(["description": .object(["type": .string("offer"), "sdp": .string("v=0")])]))
        #expect(room.receive(.signal(to: "bob", data: data), on: 1, now: 2) == [.send(2, .signal(from: "ada", data: data))])
        // Addressing yourself or a stranger is an error to the sender only.
        #expect(Self.sends(room.receive(.signal(to: "ada", data: data), on: 1, now: 2)).map(\.0) == [1])
        #expect(room.receive(.signal(to: "mallory", data: data), on: 1, now: 2)
            == [.send(1, .error(code: "peer_not_found", message: "no such peer in this room"))])
        // A connection without a seat gets nothing relayed.
        #expect(room.receive(.signal(to: "bob", data: data), on: 99, now: 2).isEmpty)
    }

    @Test func stateChangesAreBroadcastToTheOthers() {
        var room = Self.twoPeers()
        let actions = room.receive(.state(audio: false, video: nil, screen: true, name: nil), on: 2, now: 3)
        #expect(actions == [.send(1, .state(from: "bob", media: MediaState(audio: false, video: false, screen: true), name: "Bob"))])
        #expect(room.seat("bob")?.media == MediaState(audio: false, video: false, screen: true))
    }

    @Test func aRenameIsCleanedBeforeOthersSeeIt() {
        var room = Self.twoPeers()
        let actions = room.receive(.state(audio: nil, video: nil, screen: nil, name: "\u{202E}Eve\u{0000}" + String(repeating: "x", count: 500)), on: 2, now: 3)
        guard case .send(1, .state(_, _, let name))? = actions.first else {
            Issue.record("no state sent: \(actions)")
            return
        }
        // The bidi override and the NUL are gone, and the rest is cut at 64 characters.
        #expect(actions.count == 1)
        #expect(name == "Eve" + String(repeating: "x", count: 61))
    }

    @Test func leavingRecordsAHangupTellsOthersAndClosesTheSocket() {
        var room = Self.twoPeers()
        let actions = room.receive(.leave, on: 2, now: 5)
        #expect(actions == [
            .recordLeave(peerId: "bob", reason: .hangup), .send(1, .peerLeft(peerId: "bob", reason: "hangup")),
            .close(2, code: 1000, reason: "left"),
        ])
        #expect(room.seat("bob") == nil)
    }

    @Test func aDropWithinTheGraceIsInvisibleToOthersAndResumesTheSameSeat() {
        var room = Self.twoPeers()
        #expect(room.detached(2, now: 10).isEmpty)
        #expect(room.tick(now: 10 + 19_999).isEmpty)
        let resumed = room.attach(peerId: "bob", connection: 3, resume: "r3", iceServers: [], now: 15_000)
        let ada = PeerInfo(peerId: "ada", name: "Ada", audio: true, video: false, screen: false)
        // Only the resumer hears anything: a welcome with the same peer id and the others.
        #expect(resumed == [.send(3, .welcome(peerId: "bob", resume: "r3", peers: [ada], maxPeers: 4, iceServers: []))])
        #expect(room.tick(now: 60_000).isEmpty)
    }

    @Test func aDropPastTheGraceIsRecordedAsATimeout() {
        var room = Self.twoPeers()
        _ = room.detached(2, now: 10)
        let actions = room.tick(now: 20_010)
        #expect(actions == [.recordLeave(peerId: "bob", reason: .timeout), .send(1, .peerLeft(peerId: "bob", reason: "timeout"))])
    }

    @Test func aPageThatSaidItWasGoingAwayKeepsItsSeatOnlyForTheAwayGrace() throws {
        var room = Self.twoPeers()
        #expect(try ClientMessage.parse(#"{"type":"away"}"#) == .away)
        #expect(room.receive(.away, on: 2, now: 10).isEmpty)
        // Only the sender's own seat: Ada's stays as it was.
        #expect(room.seat("bob")?.away == true && room.seat("ada")?.away == false)
        #expect(room.detached(2, now: 20).isEmpty)
        // A reload resumes within the away grace (8 s) and gets the full grace back for the next drop.
        #expect(room.tick(now: 20 + 7_999).isEmpty)
        _ = room.attach(peerId: "bob", connection: 3, resume: "r3", iceServers: [], now: 8_000)
        _ = room.detached(3, now: 9_000)
        #expect(room.tick(now: 9_000 + 19_999).isEmpty)
        // A closed tab: gone after the away grace, not the whole grace.
        _ = room.attach(peerId: "bob", connection: 4, resume: "r4", iceServers: [], now: 29_000)
        _ = room.receive(.away, on: 4, now: 29_500)
        _ = room.detached(4, now: 30_000)
        #expect(room.tick(now: 30_000 + 8_000) == [
            .recordLeave(peerId: "bob", reason: .timeout), .send(1, .peerLeft(peerId: "bob", reason: "timeout")),
        ])
    }

    @Test func theAwayGraceIsNeverLongerThanTheGrace() {
        let room = RoomMachine(code: "r", maxPeers: 2, grace: 3_000, awayGrace: 8_000, emptyGrace: 60_000, now: 0)
        #expect(room.awayGrace == 3_000)
    }

    @Test func aResumeOnANewSocketClosesTheOldOne() {
        var room = Self.twoPeers()
        let actions = room.attach(peerId: "bob", connection: 7, resume: "r7", iceServers: [], now: 20)
        #expect(actions.first == .close(2, code: 4409, reason: "resumed elsewhere"))
        #expect(room.seat("bob")?.connection == 7)
    }

    @Test func anAdmittedSeatWhoseSocketNeverCameIsReleasedQuietly() {
        var room = Self.twoPeers()
        _ = room.admitted(peerId: "cy", name: "Cy", now: 100)
        #expect(room.tick(now: 20_100) == [.recordLeave(peerId: "cy", reason: .timeout)])
    }

    @Test func anEmptyRoomEndsAfterItsGraceOnce() {
        var room = Self.twoPeers()
        _ = room.receive(.leave, on: 1, now: 1_000)
        _ = room.receive(.leave, on: 2, now: 2_000)
        #expect(room.tick(now: 61_999).isEmpty)
        #expect(room.tick(now: 62_000) == [.endRoom])
        #expect(room.tick(now: 90_000).isEmpty)
        // Nobody can attach to an ended room.
        #expect(Self.sends(room.attach(peerId: "ada", connection: 9, resume: "x", iceServers: [], now: 90_001)).first?.1
            == .error(code: "room_ended", message: "the room has ended"))
    }

    @Test func closingTheRoomTellsEveryoneAndClosesTheirSockets() {
        var room = Self.twoPeers()
        let actions = room.roomEnded(reason: "closed")
        #expect(actions == [
            .send(1, .roomClosed(reason: "closed")), .close(1, code: 4000, reason: "room closed"),
            .send(2, .roomClosed(reason: "closed")), .close(2, code: 4000, reason: "room closed"),
        ])
        #expect(room.isEmpty)
    }

    @Test func shutdownRecordsEveryoneIncludingSeatsInGrace() {
        var room = Self.twoPeers()
        _ = room.detached(2, now: 10)
        #expect(room.shutdown() == [.recordLeave(peerId: "ada", reason: .shutdown), .recordLeave(peerId: "bob", reason: .shutdown)])
    }

    @Test func pingGetsPong() {
        var room = Self.twoPeers()
        #expect(room.receive(.ping, on: 1, now: 1) == [.send(1, .pong)])
    }
}

/// Parsing what participants send: anything malformed is a typed `Invalid`, never a crash.
@Suite struct ClientMessageTests {
    @Test(arguments: [
        ("not json", "invalid_json"),
        ("[1,2]", "invalid_json"),
        (#"{"to":"x"}"#, "invalid_message"),
        (#"{"type":"signal","to":"bob","data":{"sdp":"x"}}"#, "invalid_message"),
        (#"{"type":"signal","data":{"candidate":{}}}"#, "invalid_message"),
        (#"{"type":"state","audio":"yes"}"#, "invalid_message"),
        (#"{"type":"hello"}"#, "unknown_type"),
        (#"{"type":5}"#, "invalid_message"),
    ])
    func malformedMessagesAreRefusedWithACode(text: String, code: String) {
        let error = #expect(throws: ClientMessage.Invalid.self) { try ClientMessage.parse(text) }
        #expect(error?.code == code)
    }

    @Test func deeplyNestedJSONIsRefusedNotACrash() {
        let text = #"{"type":"signal","to":"b","data":{"candidate":"# + String(repeating: "[", count: 60_000) + "}}"
        #expect(throws: ClientMessage.Invalid.self) { try ClientMessage.parse(text) }
    }

    @Test func aClaimedFromIsIgnored() throws {
        let message = try ClientMessage.parse(#"{"type":"signal","to":"bob","from":"carol","data":{"candidate":{"c":1}}}"#)
        #expect(message == .signal(to: "bob", data: RawJSON(checked: #"{"candidate":{"c":1}}"#)))
    }

    @Test func serverMessagesAreStableJSON() {
        #expect(ServerMessage.peerLeft(peerId: "p", reason: "timeout").json == #"{"peerId":"p","reason":"timeout","type":"peer-left"}"#)
        #expect(ServerMessage.error(code: "c", message: "</script>").json == #"{"code":"c","message":"</script>","type":"error"}"#)
    }
}
