import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process figures from Linux's /proc, and the open-file limit. On other systems the readings are nil.
enum SignalingProcStats {
    /// A KiB line of /proc/<pid>/status (`pid` may be "self"): `VmRSS` (resident memory), or
    /// `RssAnon` (its anonymous part: heap and stacks, without mapped files such as SQLite's).
    static func residentKiB(pid: String, field: String = "VmRSS") -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Double(fields[1]) else { return nil }
            return kib
        }
        return nil
    }

    /// utime + stime of /proc/<pid>/stat, in seconds (`pid` may be "self").
    static func cpuSeconds(pid: String) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)" come the fields from 3 (state) on; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ticks > 0 ? (user + system) / ticks : nil
    }

    /// Raises the soft limit on open files to at least `needed` (never above the hard limit). Children
    /// started afterwards (the servers) inherit it. Returns the soft limit in force.
    @discardableResult
    static func raiseOpenFileLimit(to needed: Int) -> Int {
        var limit = rlimit()
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return -1 }
        let wanted = rlim_t(needed)
        if limit.rlim_cur < wanted {
            limit.rlim_cur = min(wanted, limit.rlim_max)
            _ = setrlimit(resource, &limit)
            _ = getrlimit(resource, &limit)
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// This executable, to start it again as a server (`crow-bench signaling serve`). On Linux that is
    /// /proc/self/exe, which the child resolves to the very binary running now, even when a rebuild
    /// has replaced the file in .build meanwhile.
    static func ownExecutable() -> String {
        if FileManager.default.fileExists(atPath: "/proc/self/exe") { return "/proc/self/exe" }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    /// The directory of the running binary (for finding the repository around it).
    static func executableDirectory() -> URL {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
    }
}
