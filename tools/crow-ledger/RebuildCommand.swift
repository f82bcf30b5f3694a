import ArgumentParser
import Foundation
import Ledger
import Projections

/// `crow-ledger rebuild`: drops every projection row and replays the ledger from zero, in one transaction.
struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild every projection from the events, in place.",
        discussion: """
            Runs in one transaction: a gateway writing meanwhile waits (up to its busy timeout) and \
            then goes on. Stopping the gateway first is safest for large ledgers.
            """
    )

    @OptionGroup var location: LedgerLocation

    func run() throws {
        let path = try location.existingPath()
        let store = try EventStore(configuration: LedgerConfiguration(path: path))
        defer { try? store.close() }
        let progress = Progress()
        let started = Date()
        let count = try ProjectionRebuilder.rebuildInPlace(store) { done, total in
            progress.update("replaying events", done: done, total: total)
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        let rate = seconds > 0 ? Int(Double(count) / seconds) : 0
        print("rebuilt projections from \(count) events in \(String(format: "%.2f", seconds)) s (\(rate) events/s)")
    }
}
