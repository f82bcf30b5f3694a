import Synchronization

/// A clock in unix milliseconds that only moves when told to, for simulations and tests. Share one
/// instance between `LedgerConfiguration.clock` and `CallSettings.clock`.
public final class SimulatedClock: Sendable {
    private let milliseconds: Atomic<Int64>

    public init(start: Int64) {
        milliseconds = Atomic(start)
    }

    public var now: Int64 { milliseconds.load(ordering: .relaxed) }

    public func advance(by delta: Int64) {
        milliseconds.add(max(0, delta), ordering: .relaxed)
    }

    /// The clock as a closure for the settings types.
    public var function: @Sendable () -> Int64 { { [self] in self.now } }
}
