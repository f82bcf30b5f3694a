public import GRDB

/// Something that keeps read models in step with the ledger, inside the append transaction.
///
/// The store calls `apply` for every append (inside a savepoint, so a failing append leaves no trace)
/// and `finishBatch` once per committed transaction, where checkpoints are advanced.
public protocol LedgerProjector: Sendable {
    func apply(_ events: [RecordedEvent], in db: Database) throws
    func finishBatch(through position: Int64, in db: Database) throws
}
