import CallSimulation
@testable import CallStore
import Foundation
import GRDB
import Ledger
import Projections
import TestSupport

/// A call store on a fresh file whose ledger and decisions share one simulated clock.
func makeSimulatedStore(
    _ dir: TemporaryDirectory,
    start: Int64 = 1_780_000_000_000,
    peerLimit: Int = 4
) throws -> (CallStore, SimulatedClock) {
    let clock = SimulatedClock(start: start)
    let store = try CallStore(
        ledger: LedgerConfiguration(path: dir.file("ledger.sqlite"), clock: clock.function),
        settings: CallSettings(peerLimit: peerLimit, clock: clock.function)
    )
    return (store, clock)
}

/// A call store on a fresh file after `calls` simulated calls with `chaos` (the share of refused or
/// odd commands), from `seed`.
func simulatedCalls(_ dir: TemporaryDirectory, seed: UInt64, calls: Int, chaos: Double) async throws -> CallStore {
    let (store, clock) = try makeSimulatedStore(dir)
    var simulator = CallSimulator(store: store, clock: clock, seed: seed, chaos: chaos)
    _ = try await simulator.run(calls: calls)
    return store
}

/// Every projection row that differs between the live file and a rebuild from zero.
func differencesFromRebuild(_ store: CallStore) throws -> [LedgerIssue] {
    let snapshot = try ProjectionRebuilder.rebuildSnapshot(of: store.ledger)
    return try ProjectionRebuilder.compare(snapshot: snapshot, livePath: store.ledgerPath)
}
