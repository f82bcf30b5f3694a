/// Typed failures of the event store. `code` is stable and safe to show to clients and operators.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stream's version differed from the expected one; nothing of the append was written.
    case versionConflict(stream: String, expected: ExpectedVersion, actual: Int)
    /// An append with no events, or one stream named twice in one append.
    case invalidAppend(String)
    /// A stored event could not be decoded.
    case corruptEvent(position: Int64, reason: String)
    /// The file holds a migration whose text differs from the shipped one.
    case migrationModified(number: Int, name: String)
    /// The file was migrated by a newer build than this one.
    case migrationUnknown(number: Int)
    /// The file was last migrated by an older build: this build's migration `number` is not applied yet.
    /// Only read-only tools that compare the projections with this build's schema refuse such a file; the
    /// gateway and `crow-ledger rebuild` migrate it when they open it.
    case migrationPending(number: Int, name: String)
    /// SQLite failed (I/O error, disk full, locked past the timeout...).
    case storage(String)
    /// The store was closed.
    case closed

    public var code: String {
        switch self {
        case .versionConflict: return "version_conflict"
        case .invalidAppend: return "invalid_append"
        case .corruptEvent: return "corrupt_event"
        case .migrationModified: return "migration_modified"
        case .migrationUnknown: return "migration_unknown"
        case .migrationPending: return "migration_pending"
        case .storage: return "storage_error"
        case .closed: return "ledger_closed"
        }
    }

    public var description: String {
        switch self {
        case .versionConflict(let stream, let expected, let actual):
            return "version conflict on \(stream): expected \(expected), found \(actual)"
        case .invalidAppend(let reason): return "invalid append: \(reason)"
        case .corruptEvent(let position, let reason): return "event at position \(position) is corrupt: \(reason)"
        case .migrationModified(let number, let name):
            return "migration \(number) (\(name)) differs from the one this file was migrated with; shipped migrations must never be edited"
        case .migrationUnknown(let number):
            return "the ledger was migrated by a newer build (migration \(number) is unknown to this one)"
        case .migrationPending(let number, let name):
            return "the ledger was last opened by an older build: migration \(number) (\(name)) is not applied yet; "
                + "start the gateway or run `crow-ledger rebuild` once with this build, or verify with the build that wrote it"
        case .storage(let message): return "storage error: \(message)"
        case .closed: return "the ledger is closed"
        }
    }
}
