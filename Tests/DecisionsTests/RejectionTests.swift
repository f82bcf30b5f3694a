import Testing

@testable import Decisions

@Suite("Rejection")
struct RejectionTests {
    /// The stable codes the gateway maps to HTTP statuses and close codes (docs/API.md, docs/SIGNALING.md). Changing one breaks clients.
    static let codes: [(Rejection, String)] = [
        (.invalidRequest("anything"), "invalid_request"),
        (.tokenInvalid, "token_invalid"),
        (.tokenUsed, "token_used"),
        (.tokenExpired, "token_expired"),
        (.tokenRevoked, "token_revoked"),
        (.roomNotFound, "room_not_found"),
        (.roomFull, "room_full"),
        (.roomEnded, "room_ended"),
        (.roomNotEmpty, "room_not_empty"),
        (.roomExists, "room_exists"),
        (.peerNotFound, "peer_not_found"),
        (.inviteNotFound, "invite_not_found"),
        (.inviteWrongDirection, "invite_wrong_direction"),
        (.inviteState("sent"), "invite_state"),
        (.duplicateInvite, "duplicate_invite"),
        (.noRelayAccepted, "no_relay_accepted"),
    ]

    @Test(arguments: RejectionTests.codes)
    func codeIsStable(rejection: Rejection, code: String) {
        #expect(rejection.code == code)
        #expect(!rejection.description.isEmpty)
    }

    @Test func codesAreDistinctSnakeCase() {
        let codes = Self.codes.map(\.1)
        #expect(Set(codes).count == codes.count)
        for code in codes {
            #expect(code.utf8.allSatisfy { (0x61...0x7A).contains($0) || $0 == 0x5F }, "\(code)")
        }
    }

    @Test func payloadDoesNotChangeTheCode() {
        #expect(Rejection.invalidRequest("").code == Rejection.invalidRequest("other reason").code)
        #expect(Rejection.inviteState("pending").code == Rejection.inviteState("answered").code)
    }

    @Test func descriptionsCarryTheirDetail() {
        #expect(Rejection.invalidRequest("room code is malformed").description == "room code is malformed")
        #expect(Rejection.inviteState("declined").description == "The invite is declined.")
    }

    @Test func payloadsDistinguishRejections() {
        #expect(Rejection.inviteState("sent") != Rejection.inviteState("failed"))
        #expect(Rejection.invalidRequest("a") != Rejection.invalidRequest("b"))
    }
}
