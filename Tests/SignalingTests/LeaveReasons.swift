import CallStore
import Ledger

/// The reasons of a room's `peer.left` events, in ledger order, read with the ledger's own reader.
func leaveReasons(_ store: CallStore, room: String) async throws -> [String] {
    try await store.read { db in
        var reasons: [String] = []
        try EventReader.forEach(in: db, stream: StreamName.room(room)) { recorded in
            if case .peerLeft(let left) = recorded.event { reasons.append(left.reason.rawValue) }
        }
        return reasons
    }
}
