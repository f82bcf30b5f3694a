import ArgumentParser
import Foundation
import Ledger
import Projections

/// `crow-ledger verify`: exit 0 when the ledger is sound, 1 with one line per problem when it is not.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain, the projections against a rebuild, and the domain rules.",
        discussion: """
            Prints one line per problem, each with the ledger position where it shows, then the head \
            position and hash. Record the head hash somewhere else: a later verify that prints the same \
            hash at that position proves nothing before it was rewritten. Exits 1 if anything is wrong.
            """
    )

    @OptionGroup var location: LedgerLocation

    func run() throws {
        let path = try location.existingPath()
        let progress = Progress()
        let started = Date()
        let report: LedgerAuditor.Report
        do {
            report = try LedgerAuditor.audit(path: path) { stage, done, total in
                progress.update(stage.rawValue, done: done, total: total)
            }
        } catch {
            progress.finish()
            print("FAILED: cannot audit \(path): \(error)")
            throw ExitCode(1)
        }
        progress.finish()
        for issue in report.issues { print(issue.description) }
        let hash = report.headHash.map { String(format: "%02x", $0) }.joined()
        let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
        print("events: \(report.events), head position: \(report.headPosition), head hash: \(hash) (\(seconds) s)")
        if report.passed {
            print("OK: hash chain, projections and rules verified")
        } else {
            print("FAILED: \(report.issues.count) problem\(report.issues.count == 1 ? "" : "s") found")
            throw ExitCode(1)
        }
    }
}
