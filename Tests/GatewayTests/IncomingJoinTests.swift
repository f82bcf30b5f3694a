import CallSimulation
import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Ledger
import TestSupport
import Testing

/// Which incoming calls can still be joined: one that rang out keeps its link, one the caller withdrew
/// or the owner already accepted does not offer it again.
@Suite struct IncomingJoinTests {
    @Test func aCallThatRangOutCanStillBeJoinedButNotAWithdrawnOrAcceptedOne() async throws {
        let dir = try TemporaryDirectory()
        var configuration = signalingConfiguration(dir)
        let clock = SimulatedClock(start: LedgerClock.systemMilliseconds())
        configuration.clock = clock.function
        configuration.ringWindow = 6_000
        let token = try await ownerAPIToken(configuration)
        let side = try sideStore(configuration)
        defer { try? side.close() }
        for n in 1...3 { try await side.receiveInvite(NotificationsTests.invite(n, now: clock.now)) }
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            let bearer: HTTPFields = [.authorization: "Bearer \(token)"]
            func calls() async throws -> [String: [String: Any]] {
                try await client.execute(uri: "/api/calls/incoming", method: .get, headers: bearer) { response in
                    let list = NotificationsTests.object(response)["calls"] as? [[String: Any]] ?? []
                    return Dictionary(uniqueKeysWithValues: list.map { ($0["id"] as? String ?? "", $0) })
                }
            }
            let ringing = try await calls()
            #expect(ringing.values.allSatisfy { $0["status"] as? String == "ringing" && $0["joinable"] as? Bool == true })

            // All three ring out; the caller withdraws the second; the owner accepts the third.
            clock.advance(by: 7_000)
            try await side.recordRemoteCancelled("invite-2-aaaaaaaa", reason: "caller")
            try await client.execute(uri: "/api/calls/incoming/invite-3-aaaaaaaa/accept", method: .post, headers: bearer) {
                #expect($0.status == .noContent)
            }
            let later = try await calls()
            #expect(later["invite-1-aaaaaaaa"]?["status"] as? String == "missed")
            #expect(later["invite-1-aaaaaaaa"]?["joinable"] as? Bool == true)
            #expect(later["invite-2-aaaaaaaa"]?["status"] as? String == "missed")
            #expect(later["invite-2-aaaaaaaa"]?["joinable"] as? Bool == false)
            #expect(later["invite-3-aaaaaaaa"]?["status"] as? String == "accepted")
            #expect(later["invite-3-aaaaaaaa"]?["joinable"] as? Bool == false)

            // What the panel offers is what the API allows: the rung-out call accepts, the withdrawn one not.
            try await client.execute(uri: "/api/calls/incoming/invite-1-aaaaaaaa/accept", method: .post, headers: bearer) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/api/calls/incoming/invite-2-aaaaaaaa/accept", method: .post, headers: bearer) {
                #expect($0.status == .conflict)
            }
        }
    }
}
