/// One numbered schema migration, embedded from a `.sql` file in this folder.
public struct SchemaMigration: Sendable {
    public let number: Int
    public let name: String
    public let sql: String
}

/// Every migration this build knows, in order. Shipped entries are never edited: add the next number.
public let schemaMigrations: [SchemaMigration] = [
    SchemaMigration(number: 1, name: "events", sql: String(decoding: PackageResources._001_events_sql, as: UTF8.self)),
    SchemaMigration(
        number: 2,
        name: "projections",
        sql: String(decoding: PackageResources._002_projections_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 3,
        name: "events_refuse_replace",
        sql: String(decoding: PackageResources._003_events_refuse_replace_sql, as: UTF8.self)
    ),
    SchemaMigration(number: 4, name: "owner", sql: String(decoding: PackageResources._004_owner_sql, as: UTF8.self)),
    SchemaMigration(
        number: 5,
        name: "nostr_relays",
        sql: String(decoding: PackageResources._005_nostr_relays_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 6,
        name: "notifications",
        sql: String(decoding: PackageResources._006_notifications_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 7,
        name: "gateway_settings",
        sql: String(decoding: PackageResources._007_gateway_settings_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 8,
        name: "events_without_type_index",
        sql: String(decoding: PackageResources._008_events_without_type_index_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 9,
        name: "unique_keys_as_named_indexes",
        sql: String(decoding: PackageResources._009_unique_keys_as_named_indexes_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 10,
        name: "rooms_and_history_by_position",
        sql: String(decoding: PackageResources._010_rooms_and_history_by_position_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 11,
        name: "fewer_index_writes",
        sql: String(decoding: PackageResources._011_fewer_index_writes_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 12,
        name: "digests_as_bytes",
        sql: String(decoding: PackageResources._012_digests_as_bytes_sql, as: UTF8.self)
    ),
    SchemaMigration(
        number: 13,
        name: "history_from_rooms_and_invites",
        sql: String(decoding: PackageResources._013_history_from_rooms_and_invites_sql, as: UTF8.self)
    ),
]
