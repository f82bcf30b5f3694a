import ArgumentParser
import Foundation

/// Where the ledger is: `--data-dir` (the gateway's data directory) or `--db` (the file itself).
struct LedgerLocation: ParsableArguments {
    @Option(name: .long, help: "The gateway's data directory; the ledger is <dir>/ledger.sqlite.")
    var dataDir: String = ProcessInfo.processInfo.environment["CROW_CALLS_DATA"] ?? "./data"

    @Option(name: .long, help: "The ledger file itself (overrides --data-dir).")
    var db: String?

    var path: String { db ?? (dataDir as NSString).appendingPathComponent("ledger.sqlite") }

    /// Fails with a clear message when there is no ledger to read.
    func existingPath() throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no ledger at \(path) (use --data-dir or --db)")
        }
        return path
    }
}
