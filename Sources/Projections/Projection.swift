public import GRDB
public import Ledger

/// One read model: the tables it owns and how each event changes them.
public protocol Projection: Sendable {
    /// The checkpoint name.
    var name: String { get }
    /// Tables the projection owns, in the order they are cleared and compared.
    var tables: [String] { get }
    func apply(_ event: RecordedEvent, in db: Database) throws
    /// Clears the tables for a rebuild from zero.
    func reset(in db: Database) throws
}

extension Projection {
    public func reset(in db: Database) throws {
        for table in tables { try db.execute(sql: "DELETE FROM \(table)") }
    }
}
