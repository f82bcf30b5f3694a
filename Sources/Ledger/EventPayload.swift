/// A versioned event payload. The ledger stores it as JSON with its fields plus `"v"`, the schema
/// version it was written with. Readers accept newer versions as long as the fields they know are
/// there; fields they do not know stay in the stored JSON, which is never rewritten.
public protocol EventPayload: Codable, Sendable, Hashable {
    /// The event type as stored in `events.type`, for example `room.created`.
    static var eventType: String { get }
    /// The schema version this build writes.
    static var schemaVersion: Int { get }
}

extension EventPayload {
    public static var schemaVersion: Int { 1 }
}

/// Stream names of the catalogue (docs/EVENTS.md).
public enum StreamName {
    public static func room(_ code: String) -> String { "room-\(code)" }
    public static func token(_ id: String) -> String { "token-\(id)" }
    public static func invite(_ id: String) -> String { "invite-\(id)" }
}
