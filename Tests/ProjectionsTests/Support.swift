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

/// Every projection row that differs between the live file and a rebuild from zero.
func differencesFromRebuild(_ store: CallStore) throws -> [LedgerIssue] {
    let snapshot = try ProjectionRebuilder.rebuildSnapshot(of: store.ledger)
    return try ProjectionRebuilder.compare(snapshot: snapshot, livePath: store.ledgerPath)
}
