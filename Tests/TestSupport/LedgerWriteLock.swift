import GRDB

/// Another connection holding the ledger file's write lock (`BEGIN IMMEDIATE`), as a second writer
/// or a backup tool would: appends wait for it and give up after their busy timeout. Released with
/// `release()`.
public final class LedgerWriteLock: Sendable {
    private let queue: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }
    }

    public func release() throws {
        try queue.inDatabase { db in try db.execute(sql: "ROLLBACK") }
        try queue.close()
    }
}
