import Foundation
import Ledger
import Testing

@testable import Invites

/// The room-end notifier's progress through the ledger.
@Suite struct RoomEndNotifierTests {
    static func ended(_ position: Int64, _ room: String) -> RecordedEvent {
        RecordedEvent(
            position: position, stream: "room-\(room)", version: 2, type: RoomEnded.eventType, data: "{}", recordedAt: 0, hash: Data(),
            event: .roomEnded(RoomEnded(room: room, reason: .closed, durationMs: 1))
        )
    }

    struct Refused: Error {}

    /// An announcement that fails leaves its event and the rest of the batch for the retry; the rooms
    /// before it are not announced twice.
    @Test func aFailedAnnouncementKeepsTheRestOfTheBatch() async throws {
        let batch = [Self.ended(5, "a"), Self.ended(6, "b"), Self.ended(7, "c")]
        var position: Int64 = 4
        var announced: [String] = []
        await #expect(throws: Refused.self) {
            try await RoomEndNotifier.handle(batch, position: &position) { room in
                if room == "b" { throw Refused() }
                announced.append(room)
            }
        }
        #expect(position == 5)
        #expect(announced == ["a"])
        // The retry starts after `position`.
        try await RoomEndNotifier.handle(batch.filter { $0.position > position }, position: &position) { announced.append($0) }
        #expect(announced == ["a", "b", "c"])
        #expect(position == 7)
    }
}
