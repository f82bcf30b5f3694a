public import Ledger
import GRDB
import Synchronization

/// The owner's records: the account (password hash and one-time setup link), browser sessions, API
/// tokens and contacts. They are ordinary tables in the ledger's file, written in plain transactions:
/// they are not events, and nothing is projected from them. Secrets are stored only as SHA-256 hashes
/// (the password as a scrypt hash) and compared in constant time.
///
/// It shares the `EventStore` that `CallStore` appends through, so there is one file and one writer
/// connection; each write method is named by what it does.
public final class OwnerStore: Sendable {
    let ledger: EventStore
    /// Unix milliseconds.
    let clock: @Sendable () -> Int64
    private let writes = Atomic<UInt64>(0)

    public init(ledger: EventStore, clock: @escaping @Sendable () -> Int64 = LedgerClock.systemMilliseconds) {
        self.ledger = ledger
        self.clock = clock
    }

    /// How many writes of the owner's records this process has finished (committed or failed). It
    /// moves after each write's transaction ends and before the write returns, so a caller that sees
    /// the same count before and after a read knows this process changed no credential in between.
    /// Writes by other processes are not counted; the credential cache watches the file for those.
    public var recordWrites: UInt64 { writes.load(ordering: .acquiring) }

    /// Closes the ledger file it shares (for command-line tools that opened it for this store alone).
    public func close() throws {
        try ledger.close()
    }

    func ownerRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(OwnerError) -> T {
        do {
            return try await ledger.read(body)
        } catch let error as OwnerError {
            throw error
        } catch {
            throw .storage(String(describing: error))
        }
    }

    @discardableResult
    func ownerWrite<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(OwnerError) -> T {
        defer { writes.add(1, ordering: .releasing) }
        do {
            return try await ledger.writeRecords(body)
        } catch let error as OwnerError {
            throw error
        } catch {
            throw .storage(String(describing: error))
        }
    }
}
