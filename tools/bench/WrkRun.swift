import Foundation
import HarnessKit

/// Runs `wrk` (a separate process, so the load generator does not share the server's threads) and
/// reads its "Requests/sec" line.
enum WrkRun {
    static func locate() -> String? {
        ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func requestsPerSecond(wrk: String, arguments: [String]) throws -> Double {
        let run = try runToolBlocking(wrk, arguments, errors: .mergedIntoOutput)
        let text = run.stdout
        guard run.status == 0,
            let line = text.split(separator: "\n").first(where: { $0.contains("Requests/sec:") }),
            let rate = line.split(separator: " ").last.flatMap({ Double($0) })
        else { throw BenchError("wrk failed: \(text.prefix(500))") }
        if let errors = text.split(separator: "\n").first(where: { $0.contains("Non-2xx or 3xx") }) {
            throw BenchError("wrk saw error answers (\(errors.trimmingCharacters(in: .whitespaces)))")
        }
        return rate
    }
}
