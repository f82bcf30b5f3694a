import CallSimulation
import ArgumentParser
import CallStore
import Foundation
import Ledger
import Projections

/// `crow-ledger simulate --calls N`: realistic call traffic through the real decisions and append path.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Append realistic simulated call traffic through the gateway's own decisions.",
        discussion: """
            Outgoing invites (answered, declined, cancelled, undeliverable), incoming calls (accepted, \
            declined, dismissed, cancelled, missed) and link-only rooms, on a simulated clock that ends \
            near now. Every invite is resolved, so nothing is left for the outbox. Refuses a ledger that \
            already holds events unless --append, so a real owner's call list is not filled with made-up calls.
            """
    )

    @OptionGroup var location: LedgerLocation

    @Option(help: "How many calls to simulate.")
    var calls: Int = 1000

    @Option(help: "Seed for the simulation's choices.")
    var seed: UInt64 = UInt64.random(in: 0...UInt64.max)

    @Option(help: "How often to also fire random commands that are mostly refused (0 to 0.9).")
    var chaos: Double = 0.2

    @Option(help: "The most peers per room.")
    var maxPeers: Int = 4

    @Flag(help: "Add to a ledger that already holds events.")
    var append = false

    func validate() throws {
        guard calls > 0, calls <= 10_000_000 else { throw ValidationError("--calls must be 1 to 10000000") }
        guard (0...0.9).contains(chaos) else { throw ValidationError("--chaos must be between 0 and 0.9") }
        guard (2...64).contains(maxPeers) else { throw ValidationError("--max-peers must be 2 to 64") }
    }

    func run() async throws {
        let path = location.path
        let existing = try Self.lastRecordedAt(path)
        if existing != nil && !append {
            throw ValidationError("\(path) already holds events; pass --append to add simulated calls to it")
        }
        // About twenty simulated minutes per call, ending near now.
        let now = LedgerClock.systemMilliseconds()
        let start = max(now - Int64(calls) * 1_200_000, (existing ?? 0) + 1)
        let clock = SimulatedClock(start: start)
        let store = try CallStore(
            ledger: LedgerConfiguration(path: path, clock: clock.function),
            settings: CallSettings(peerLimit: maxPeers, clock: clock.function)
        )
        defer { try? store.close() }
        let before = store.statistics
        print("simulating \(calls) calls into \(path) (seed \(seed))")
        let progress = Progress()
        let started = Date()
        var simulator = CallSimulator(store: store, clock: clock, seed: seed, chaos: chaos)
        let summary = try await simulator.run(calls: calls) { done in
            progress.update("simulating calls", done: Int64(done), total: Int64(calls))
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        let stats = store.statistics
        let events = stats.events - before.events
        print("calls: \(summary.calls), commands: \(summary.commands), accepted: \(summary.accepted)")
        let refused = summary.rejections.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("refused: \(refused.isEmpty ? "none" : refused)")
        print(
            "appended \(events) events in \(stats.transactions - before.transactions) transactions, "
                + "\(String(format: "%.2f", seconds)) s (\(seconds > 0 ? Int(Double(events) / seconds) : 0) events/s)"
        )
    }

    /// The newest event's time, or nil when there is no ledger or it is empty.
    static func lastRecordedAt(_ path: String) throws -> Int64? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let queue = try ReadOnlyLedger.open(path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(recorded_at) FROM events")
        }
    }
}
