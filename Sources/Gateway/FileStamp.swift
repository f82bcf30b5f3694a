#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's identity, size and times, as `stat` gives them: what a commit by any process changes in
/// the ledger's write-ahead log. Two stamps that differ mean the file was written in between. Equal
/// stamps almost always mean it was not; the times come from the kernel's coarse clock, so whoever
/// relies on a stamp also keeps a slower backstop.
struct FileStamp: Sendable, Equatable {
    var inode: UInt64
    var size: Int64
    var modified: Int64
    var changed: Int64

    /// The stamp of the file at `path` now; nil when it cannot be read.
    static func of(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let modified = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        let changed = Int64(info.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(info.st_ctimespec.tv_nsec)
        #else
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        #endif
        return FileStamp(inode: UInt64(info.st_ino), size: Int64(info.st_size), modified: modified, changed: changed)
    }
}
