import Ledger
import OwnerStore

/// The dispatcher's place in the ledger, kept in `notification_cursor` so that a restart never
/// announces an old call again and never skips a pending one.
struct NotificationCursor: FeedCursor {
    let owners: OwnerStore

    func load() async throws -> Int64? { try await owners.notificationCursor() }

    func save(_ position: Int64) async throws { try await owners.advanceNotificationCursor(to: position) }
}
