/// Polls `condition` every few milliseconds until it holds; throws `TestSupportError.timedOut` when it
/// still does not after `timeout`. For waiting on state, never for asserting that something did not
/// happen.
public func waitUntil(
    _ what: @autoclosure () -> String = "condition",
    timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError.timedOut(what()) }
        try await Task.sleep(for: .milliseconds(2))
    }
}
