/// Polls `condition` every few milliseconds until it holds; throws `TestSupportError.timedOut` when it
/// still does not after `timeout`. For waiting on state, never for asserting that something did not
/// happen. The default deadline is far past any outcome a test waits for: it only bounds a failure,
/// so a loaded machine (the stress mode runs the suite beside a busy loop per core) never trips it.
public func waitUntil(
    _ what: @autoclosure () -> String = "condition",
    timeout: Duration = .seconds(30),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError.timedOut(what()) }
        try await Task.sleep(for: .milliseconds(2))
    }
}
