import CrowSecurity
import GRDB

/// One browser subscribed to Web Push.
public struct PushSubscriptionRecord: Sendable, Hashable {
    public var id: String
    public var endpoint: String
    public var p256dh: String
    public var auth: String
    public var createdAt: Int64
    public var lastSentAt: Int64?
    public var failures: Int
}

/// The browsers subscribed to Web Push, and the notification dispatcher's place in the ledger.
extension OwnerStore {
    /// At most this many browsers; the oldest is replaced beyond it.
    public static let maxPushSubscriptions = 32

    public func pushSubscriptions() async throws(OwnerError) -> [PushSubscriptionRecord] {
        try await ownerRead { db in
            try Row.fetchAll(db, sql: "SELECT * FROM push_subscriptions ORDER BY created_at, subscription_id").map(Self.subscription)
        }
    }

    /// Stores a subscription (checked by the caller). The same endpoint again replaces its keys and keeps
    /// its id; `created` says which. Beyond the limit the oldest subscription goes.
    public func savePushSubscription(endpoint: String, p256dh: String, auth: String) async throws(OwnerError) -> (
        record: PushSubscriptionRecord, created: Bool
    ) {
        let now = clock()
        return try await ownerWrite { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT * FROM push_subscriptions WHERE endpoint = ?", arguments: [endpoint]) {
                var record = Self.subscription(existing)
                try db.execute(
                    sql: "UPDATE push_subscriptions SET p256dh = ?, auth = ?, failures = 0 WHERE subscription_id = ?",
                    arguments: [p256dh, auth, record.id]
                )
                record.p256dh = p256dh
                record.auth = auth
                record.failures = 0
                return (record, false)
            }
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM push_subscriptions") ?? 0
            if count >= Self.maxPushSubscriptions {
                try db.execute(
                    sql: """
                        DELETE FROM push_subscriptions WHERE subscription_id IN
                        (SELECT subscription_id FROM push_subscriptions ORDER BY created_at, subscription_id LIMIT ?)
                        """,
                    arguments: [count - Self.maxPushSubscriptions + 1]
                )
            }
            let record = PushSubscriptionRecord(
                id: Secrets.identifier(),
                endpoint: endpoint,
                p256dh: p256dh,
                auth: auth,
                createdAt: now,
                lastSentAt: nil,
                failures: 0
            )
            try db.execute(
                sql: "INSERT INTO push_subscriptions (subscription_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [record.id, endpoint, p256dh, auth, now]
            )
            return (record, true)
        }
    }

    /// Removes the subscription with this endpoint or id; false when there was none.
    @discardableResult
    public func deletePushSubscription(endpointOrID: String) async throws(OwnerError) -> Bool {
        try await ownerWrite { db in
            try db.execute(
                sql: "DELETE FROM push_subscriptions WHERE endpoint = ? OR subscription_id = ?",
                arguments: [endpointOrID, endpointOrID]
            )
            return db.changesCount > 0
        }
    }

    /// Records the outcome of a send to a subscription (a success clears the failure count).
    public func recordPushOutcome(subscriptionID: String, delivered: Bool) async throws(OwnerError) {
        let now = clock()
        try await ownerWrite { db in
            if delivered {
                try db.execute(
                    sql: "UPDATE push_subscriptions SET last_sent_at = ?, failures = 0 WHERE subscription_id = ?",
                    arguments: [now, subscriptionID]
                )
            } else {
                try db.execute(sql: "UPDATE push_subscriptions SET failures = failures + 1 WHERE subscription_id = ?", arguments: [subscriptionID])
            }
        }
    }

    // MARK: - The dispatcher's place

    /// The ledger position up to which notifications are done; nil before the dispatcher first ran.
    public func notificationCursor() async throws(OwnerError) -> Int64? {
        try await ownerRead { db in try Int64.fetchOne(db, sql: "SELECT position FROM notification_cursor WHERE id = 1") }
    }

    /// Moves the cursor forward (never back) and forgets the sends at or below it.
    public func advanceNotificationCursor(to position: Int64) async throws(OwnerError) {
        let now = clock()
        try await ownerWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO notification_cursor (id, position, updated_at) VALUES (1, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET position = max(position, excluded.position), updated_at = excluded.updated_at
                    """,
                arguments: [position, now]
            )
            try db.execute(sql: "DELETE FROM notification_sends WHERE position <= ?", arguments: [position])
        }
    }

    /// The targets that already took the notification for the event at `position`.
    public func notificationTargetsSent(position: Int64) async throws(OwnerError) -> Set<String> {
        try await ownerRead { db in
            Set(try String.fetchAll(db, sql: "SELECT target FROM notification_sends WHERE position = ?", arguments: [position]))
        }
    }

    /// Notes that `target` took the notification for the event at `position`.
    public func recordNotificationSent(position: Int64, target: String) async throws(OwnerError) {
        let now = clock()
        try await ownerWrite { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO notification_sends (position, target, sent_at) VALUES (?, ?, ?)",
                arguments: [position, target, now]
            )
        }
    }

    static func subscription(_ row: Row) -> PushSubscriptionRecord {
        PushSubscriptionRecord(
            id: row["subscription_id"],
            endpoint: row["endpoint"],
            p256dh: row["p256dh"],
            auth: row["auth"],
            createdAt: row["created_at"],
            lastSentAt: row["last_sent_at"],
            failures: row["failures"]
        )
    }
}
