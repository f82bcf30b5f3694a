/// Polls `condition` every `interval` (a few milliseconds) until it holds; throws
/// `HarnessError.timedOut` when it still does not after `timeout`. For waiting on state, never for
/// asserting that something did not happen. The default deadline is far past any outcome a test waits
/// for: it only bounds a failure, so a loaded machine (the stress mode runs the suite beside a busy loop
/// per core) never trips it.
public func waitUntil(
    _ what: @autoclosure () -> String = "condition",
    timeout: Duration = .seconds(30),
    every interval: Duration = .milliseconds(2),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw HarnessError.timedOut(what()) }
        try await Task.sleep(for: interval)
    }
}

/// Polls `produce` until it returns a value, and returns that value; throws `HarnessError.timedOut`
/// (saying `what`, read only then, so it can tell what had arrived) when none comes within `timeout`.
public func waitFor<Value>(
    _ what: @autoclosure () -> String = "a value",
    timeout: Duration = .seconds(30),
    every interval: Duration = .milliseconds(2),
    _ produce: () async throws -> Value?
) async throws -> Value {
    var found: Value?
    try await waitUntil(what(), timeout: timeout, every: interval) {
        found = try await produce()
        return found != nil
    }
    return found!
}

/// The first value `produce` returns within `timeout`, or nil when none does: for a helper whose
/// caller takes "not within the time" as an answer (a stream that has no next event).
public func firstWithin<Value>(
    _ timeout: Duration,
    every interval: Duration = .milliseconds(2),
    _ produce: () async throws -> Value?
) async throws -> Value? {
    do {
        return try await waitFor(timeout: timeout, every: interval, produce)
    } catch HarnessError.timedOut {
        return nil
    }
}
