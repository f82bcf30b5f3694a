import CrowSecurity
import Synchronization

/// Owner credentials recently found valid, so that a page polling the bell does not cost a database
/// read per request just to recognise its owner.
///
/// An entry holds only while nothing could have changed the owner's records since it was read. Two
/// things are compared on each request with what they were before the entry's read:
/// - this process's count of owner-record writes (`OwnerStore.recordWrites`): a sign-out, or any other
///   write of the owner's records here, moves it before the write returns, so the very next request
///   reads afresh;
/// - the stamp of the ledger's write-ahead log (inode, size, modification and change times): every
///   commit by another process (`crow-calls api-token revoke`) writes to that file. The file is looked at
///   (a `stat`) at most once per `fileCheckInterval` (one millisecond) rather than on every request, so
///   another process's revocation applies within a millisecond of its commit. At tens of thousands of
///   requests a second that is one `stat` in dozens; the `stat` was half the cost of recognising the
///   owner (docs/BENCHMARKS.md, "The bell").
///
/// The stamp's times come from the kernel's coarse clock (`FileStamp`), so as a backstop an entry also
/// lapses after `lifetime` (one second) and at the session's own expiry. Keys are SHA-256 digests of
/// the presented secrets; the secrets themselves are never kept. Unknown secrets are not cached.
final class OwnerCredentialCache: Sendable {
    /// What an entry was read against.
    struct Stamp: Sendable, Equatable {
        var localWrites: UInt64
        var file: FileStamp
    }

    private struct Entry {
        var principal: OwnerPrincipal
        var stamp: Stamp
        var validUntil: Int64
    }

    private struct State {
        var entries: [SecretDigest: Entry] = [:]
        /// The log's stamp at the last look (nil: it could not be read), and when that was.
        var file: FileStamp?
        var fileCheckedAt: ContinuousClock.Instant?
    }

    private let walPath: String
    private let localWrites: @Sendable () -> UInt64
    private let lifetime: Int64
    private let fileCheckInterval: Duration
    private let capacity: Int
    private let state = Mutex(State())

    init(
        ledgerPath: String,
        localWrites: @escaping @Sendable () -> UInt64,
        lifetime: Int64 = 1000,
        fileCheckInterval: Duration = .milliseconds(1),
        capacity: Int = 256
    ) {
        self.walPath = ledgerPath + "-wal"
        self.localWrites = localWrites
        self.lifetime = lifetime
        self.fileCheckInterval = fileCheckInterval
        self.capacity = capacity
    }

    /// The stamp now; nil when the log cannot be read (then nothing is cached). The local count is read
    /// first, so a write that ends while the stamp is taken shows in the next stamp.
    func stamp() -> Stamp? {
        let writes = localWrites()
        let now = ContinuousClock.now
        let recent: FileStamp?? = state.withLock { state in
            guard let checkedAt = state.fileCheckedAt, now - checkedAt < fileCheckInterval else { return .none }
            return .some(state.file)
        }
        let file: FileStamp?
        if let recent {
            file = recent
        } else {
            file = FileStamp.of(walPath)
            state.withLock { state in
                state.file = file
                state.fileCheckedAt = now
            }
        }
        return file.map { Stamp(localWrites: writes, file: $0) }
    }

    /// The principal for the secret with this hash, if it was found valid and nothing changed since.
    func principal(digest: SecretDigest, now: Int64) -> OwnerPrincipal? {
        guard let current = stamp() else { return nil }
        return state.withLock { state in
            guard let entry = state.entries[digest] else { return nil }
            guard entry.stamp == current, now < entry.validUntil else {
                state.entries[digest] = nil
                return nil
            }
            return entry.principal
        }
    }

    /// Remembers a credential read from the database after `stamp` was taken.
    func remember(digest: SecretDigest, principal: OwnerPrincipal, stamp: Stamp?, now: Int64, expiresAt: Int64 = .max) {
        guard let stamp else { return }
        state.withLock { state in
            if state.entries.count >= capacity {
                state.entries = state.entries.filter { $0.value.stamp == stamp && now < $0.value.validUntil }
                if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[digest] = Entry(principal: principal, stamp: stamp, validUntil: min(expiresAt, now + lifetime))
        }
    }

    /// Drops a credential at once (sign-out in this process).
    func forget(digest: SecretDigest) {
        state.withLock { $0.entries[digest] = nil }
    }
}
