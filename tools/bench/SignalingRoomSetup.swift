import CallStore
import Foundation
import Ledger

/// The rooms of one trial and the request path of each peer.
///
/// For the gateway, real rooms in its ledger: one `createRoom` (host token plus a guest link) and
/// further guest tokens up to the room size, written before the gateway starts, through a second
/// `CallStore` on the same file (the way the tests set up rooms). Tokens are single use, so every
/// trial gets a fresh data directory. The Python relay and the echo take any room name.
enum SignalingRoomSetup {
    static func gatewayRooms(dataDirectory: String, rooms: Int, peers: Int) async throws -> [SignalingClient.RoomPlan] {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let path = (dataDirectory as NSString).appendingPathComponent("ledger.sqlite")
        // NORMAL: this is setup, not a figure; the gateway itself opens the file with its default (FULL).
        let store = try CallStore(
            ledger: LedgerConfiguration(path: path, synchronous: .normal),
            settings: CallSettings(peerLimit: peers, clock: LedgerClock.systemMilliseconds)
        )
        defer { try? store.close() }
        var plans = Array(repeating: SignalingClient.RoomPlan(paths: []), count: rooms)
        try await withThrowingTaskGroup(of: (Int, SignalingClient.RoomPlan).self) { group in
            var next = 0
            var running = 0
            while next < rooms || running > 0 {
                // 16 rooms at a time: enough for the ledger's group commit, bounded in memory.
                while running < 16, next < rooms {
                    let index = next
                    group.addTask { (index, try await room(index: index, peers: peers, store: store)) }
                    next += 1
                    running += 1
                }
                if let (index, plan) = try await group.next() { plans[index] = plan }
                running -= 1
            }
        }
        return plans
    }

    private static func room(index: Int, peers: Int, store: CallStore) async throws -> SignalingClient.RoomPlan {
        let room = try await store.createRoom(
            hostName: "Bench \(index)", maxPeers: peers, createdBy: .api, guest: CallStore.GuestRequest(label: "guest 1"))
        var secrets = [room.hostToken.secret]
        if let guest = room.guest { secrets.append(guest.token.secret) }
        var label = 2
        while secrets.count < peers, label <= peers {
            secrets.append(try await store.issueGuestToken(room: room.code, guest: CallStore.GuestRequest(label: "guest \(label)")).token.secret)
            label += 1
        }
        return SignalingClient.RoomPlan(paths: try secrets.map { try path(room: room.code, token: $0) })
    }

    /// Rooms for servers without tokens: `bench-<n>`.
    static func plainRooms(rooms: Int, peers: Int) throws -> [SignalingClient.RoomPlan] {
        try (0..<rooms).map { index in
            SignalingClient.RoomPlan(paths: try Array(repeating: path(room: "bench-\(index)", token: nil), count: peers))
        }
    }

    private static func path(room: String, token: String?) throws -> String {
        var components = URLComponents()
        components.path = "/calls/ws"
        components.queryItems = [URLQueryItem(name: "room", value: room)] + (token.map { [URLQueryItem(name: "token", value: $0)] } ?? [])
        guard let path = components.string else { throw BenchError("cannot build the request path for room \(room)") }
        return path
    }
}
