import Foundation

/// Bytes this process has handed to `write`-like system calls so far (`wchar` of Linux's /proc/self/io):
/// for a ledger contender, the WAL frames and checkpoints it wrote. nil where /proc is missing.
enum ProcessIO {
    static func bytesWritten() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Double(line.dropFirst("wchar:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// KiB written per event between two readings, as a sample detail (empty when unreadable).
    static func kibPerEvent(from before: Double?, events: Int) -> [String: Double] {
        guard let before, let after = bytesWritten(), events > 0 else { return [:] }
        return ["kib_written_per_event": (after - before) / 1024 / Double(events)]
    }
}
