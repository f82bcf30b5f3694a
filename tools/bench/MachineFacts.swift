import Foundation
import HarnessKit
import GRDB
import Ledger

/// What a benchmark report says about where it ran: CPU, memory, system, SQLite, and the commit of the
/// working directory (read from Linux's /proc and from git; a fact that cannot be read says "unknown").
struct MachineFacts: Sendable {
    let cores: Int
    let cpu: String
    let memory: String
    let system: String
    let sqlite: String
    let commit: String

    var summary: String {
        "\(cores) cores (\(cpu)), \(memory) RAM, \(system), SQLite \(sqlite) (\(SQLiteThreading.modeName))"
    }

    static func current() -> MachineFacts {
        let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let cpu = cpuInfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let memInfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let memory = memInfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first }
            .flatMap { Double($0) }
            .map { String(format: "%.0f GiB", $0 / 1_048_576) } ?? "unknown"
        let osRelease = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? ""
        let name = osRelease.split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }
            .map { $0.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "unknown system"
        let kernel = ((try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let sqlite = (try? DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") }) ?? nil
        return MachineFacts(
            cores: ProcessInfo.processInfo.activeProcessorCount,
            cpu: cpu,
            memory: memory,
            system: "\(name), kernel \(kernel)",
            sqlite: sqlite ?? "unknown",
            commit: gitCommit()
        )
    }

    /// The short commit of the current directory, marked when tracked files have changed since.
    private static func gitCommit() -> String {
        guard let head = git(["rev-parse", "--short", "HEAD"]), !head.isEmpty else { return "unknown (not a git checkout)" }
        let changes = git(["status", "--porcelain", "--untracked-files=no"]) ?? ""
        return changes.isEmpty ? head : "\(head) with uncommitted changes"
    }

    private static func git(_ arguments: [String]) -> String? {
        guard let run = try? runToolBlocking("/usr/bin/env", ["git"] + arguments, errors: .discarded), run.status == 0 else { return nil }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
