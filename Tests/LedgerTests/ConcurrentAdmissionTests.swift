import CallStore
import Decisions
import Foundation
import Ledger
import Projections
import Testing
import TestSupport

/// One single-use token, many simultaneous joins: exactly one gets in.
@Suite struct ConcurrentAdmissionTests {
    @Test func twentyConcurrentAdmissionsWithOneTokenGiveExactlyOneTokenUsed() async throws {
        let dir = try TemporaryDirectory()
        let store = try CallStore(
            ledger: LedgerConfiguration(path: dir.file("ledger.sqlite")),
            settings: CallSettings(peerLimit: 32, clock: LedgerClock.systemMilliseconds)
        )
        let room = try await store.createRoom(hostName: "Ada", maxPeers: 32, createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        let secret = try #require(room.guest?.token.secret)

        let outcomes = await withTaskGroup(of: Result<CallStore.Admission, CallError>.self) { group in
            for n in 0..<20 {
                group.addTask {
                    do throws(CallError) {
                        return .success(try await store.admit(room: room.code, token: secret, displayName: "Bob \(n)"))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var all: [Result<CallStore.Admission, CallError>] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let admitted = outcomes.compactMap { try? $0.get() }
        #expect(admitted.count == 1)
        for case .failure(let error) in outcomes {
            #expect(error == .rejected(.tokenUsed))
        }
        let (used, joined, peers) = try await store.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE type = 'token.used'")!,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE type = 'peer.joined'")!,
                try Queries.peers(in: room.code, db: db)
            )
        }
        #expect(used == 1)
        #expect(joined == 1)
        #expect(peers.map(\.peerId) == admitted.map(\.peerId))
    }

    @Test func concurrentJoinsNeverOverfillARoom() async throws {
        let dir = try TemporaryDirectory()
        let store = try CallStore(
            ledger: LedgerConfiguration(path: dir.file("ledger.sqlite")),
            settings: CallSettings(peerLimit: 3, clock: LedgerClock.systemMilliseconds)
        )
        let room = try await store.createRoom(hostName: "Ada", maxPeers: 3, createdBy: .api)
        var secrets: [String] = []
        for n in 0..<10 {
            secrets.append(try await store.issueGuestToken(room: room.code, guest: CallStore.GuestRequest(label: "g\(n)")).token.secret)
        }
        let outcomes = await withTaskGroup(of: CallError?.self) { group in
            for secret in secrets {
                group.addTask {
                    do throws(CallError) {
                        _ = try await store.admit(room: room.code, token: secret, displayName: "Guest")
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            var all: [CallError?] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == nil }.count == 3)
        #expect(outcomes.compactMap { $0 }.allSatisfy { $0 == .rejected(.roomFull) })
        let count = try await store.read { db in try Queries.room(room.code, in: db)?.peerCount }
        #expect(count == 3)
    }
}
