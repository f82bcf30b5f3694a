public import GRDB
public import Ledger

/// All read models of the gateway, applied in the append transaction (docs/LEDGER.md).
public struct CallProjector: LedgerProjector {
    /// In application order: the bell reads incoming statuses before they change.
    public static let projections: [any Projection] = [
        RoomsProjection(),
        TokensProjection(),
        BellProjection(),
        IncomingCallsProjection(),
        OutgoingInvitesProjection(),
    ]

    /// Every table the projections own.
    public static var tables: [String] { projections.flatMap(\.tables) }

    public init() {}

    public func apply(_ events: [RecordedEvent], in db: Database) throws {
        for event in events { try apply(event, in: db) }
    }

    public func apply(_ event: RecordedEvent, in db: Database) throws {
        for projection in Self.projections { try projection.apply(event, in: db) }
    }

    public func finishBatch(through position: Int64, in db: Database) throws {
        try Self.setCheckpoints(position, in: db)
    }

    /// Every projection moves together, so one statement sets all their checkpoints.
    static func setCheckpoints(_ position: Int64, in db: Database) throws {
        try db.execute(cached: checkpointSQL, position)
    }

    /// The names are the projections' own constants, so they are written into the statement; the
    /// position is its one placeholder.
    private static let checkpointSQL = """
        INSERT INTO projection_checkpoints (name, position) VALUES \(projections.map { "('\($0.name)', ?1)" }.joined(separator: ", "))
        ON CONFLICT (name) DO UPDATE SET position = excluded.position
        """
}
