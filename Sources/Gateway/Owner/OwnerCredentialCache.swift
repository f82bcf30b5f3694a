import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owner credentials recently found valid, so that a page polling the bell does not cost a database
/// read per request just to recognise its owner.
///
/// An entry holds only while the ledger file has not changed since the entry was read. Every commit,
/// by this process or another (`crow-calls api-token revoke`, a sign-out), writes to the file's
/// write-ahead log, and the stamp of that file (inode, size, modification and change times) is taken
/// before each credential read and compared on each request. A revocation therefore takes effect on the
/// next request. The stamp's times come from the kernel's coarse clock, so as a backstop an entry also
/// lapses after `lifetime` (one second) and at the session's own expiry. Keys are SHA-256 hashes of the
/// presented secrets; the secrets themselves are never kept. Unknown secrets are not cached.
final class OwnerCredentialCache: Sendable {
    struct Stamp: Sendable, Equatable {
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var changed: Int64
    }

    private struct Entry {
        var principal: OwnerPrincipal
        var stamp: Stamp
        var validUntil: Int64
    }

    private let walPath: String
    private let lifetime: Int64
    private let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(ledgerPath: String, lifetime: Int64 = 1000, capacity: Int = 256) {
        self.walPath = ledgerPath + "-wal"
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The write-ahead log's stamp now; nil when it cannot be read (then nothing is cached).
    func stamp() -> Stamp? {
        var info = stat()
        guard stat(walPath, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        let changed = Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
        #else
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        #endif
        return Stamp(inode: UInt64(info.st_ino), size: Int64(info.st_size), modified: modified, changed: changed)
    }

    /// The principal for the secret with this hash, if it was found valid and nothing changed since.
    func principal(hash: String, now: Int64) -> OwnerPrincipal? {
        guard let current = stamp() else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard entry.stamp == current, now < entry.validUntil else {
                entries[hash] = nil
                return nil
            }
            return entry.principal
        }
    }

    /// Remembers a credential read from the database after `stamp` was taken.
    func remember(hash: String, principal: OwnerPrincipal, stamp: Stamp?, now: Int64, expiresAt: Int64 = .max) {
        guard let stamp else { return }
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.stamp == stamp && now < $0.value.validUntil }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[hash] = Entry(principal: principal, stamp: stamp, validUntil: min(expiresAt, now + lifetime))
        }
    }

    /// Drops a credential at once (sign-out in this process).
    func forget(hash: String) {
        entries.withLock { $0[hash] = nil }
    }
}
