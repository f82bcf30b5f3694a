import Synchronization

/// A settable clock for `LedgerConfiguration.clock`, so a fast fill can spread events over days.
final class VirtualClock: Sendable {
    private let milliseconds: Atomic<Int64>

    init(_ start: Int64) { milliseconds = Atomic(start) }

    var now: Int64 { milliseconds.load(ordering: .relaxed) }

    func set(_ value: Int64) { milliseconds.store(value, ordering: .relaxed) }
}
