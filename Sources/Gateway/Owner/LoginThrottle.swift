import Synchronization

/// Failed owner logins per client IP, in memory: at most `limit` in any `window`, then refused with the
/// seconds until the oldest one leaves the window.
///
/// An attempt counts as a failure from the moment it starts (so a burst of concurrent guesses cannot all
/// slip past the check while their passwords are being hashed); a successful login forgets the client's
/// failures. Memory is bounded: past `maxClients` addresses, expired entries are pruned, and if that is
/// not enough the oldest clients are forgotten.
final class LoginThrottle: Sendable {
    enum Decision: Equatable, Sendable {
        case allowed
        case refused(retryAfter: Int)
    }

    let limit: Int
    /// Milliseconds.
    let window: Int64
    let maxClients: Int
    private let clock: @Sendable () -> Int64
    private let attempts = Mutex<[String: [Int64]]>([:])

    /// - Parameters:
    ///   - clock: Unix milliseconds; injectable for tests.
    init(limit: Int, window: Int64, maxClients: Int = 10_000, clock: @escaping @Sendable () -> Int64) {
        self.limit = max(1, limit)
        self.window = max(1, window)
        self.maxClients = max(1, maxClients)
        self.clock = clock
    }

    /// Records the start of an attempt from `client`, or refuses it when the client is over the limit.
    func begin(_ client: String) -> Decision {
        let now = clock()
        let (limit, window, maxClients) = (self.limit, self.window, self.maxClients)
        return attempts.withLock { attempts in
            var recent = (attempts[client] ?? []).filter { $0 > now - window }
            if recent.count >= limit {
                attempts[client] = recent
                let oldest = recent.min() ?? now
                let milliseconds = max(0, oldest + window - now)
                return .refused(retryAfter: max(1, Int((milliseconds + 999) / 1000)))
            }
            recent.append(now)
            attempts[client] = recent
            if attempts.count > maxClients { Self.prune(&attempts, now: now, window: window, keep: maxClients) }
            return .allowed
        }
    }

    /// The attempt succeeded: the client's failures are forgotten.
    func succeeded(_ client: String) {
        _ = attempts.withLock { $0.removeValue(forKey: client) }
    }

    /// Failures currently counted for `client` (for tests and diagnostics).
    func failures(_ client: String) -> Int {
        let now = clock()
        return attempts.withLock { ($0[client] ?? []).filter { $0 > now - window }.count }
    }

    private static func prune(_ attempts: inout [String: [Int64]], now: Int64, window: Int64, keep: Int) {
        attempts = attempts.compactMapValues { times in
            let recent = times.filter { $0 > now - window }
            return recent.isEmpty ? nil : recent
        }
        if attempts.count > keep {
            // Down to 90% so that the sort does not run on every new address under a flood.
            let newestFirst = attempts.sorted { ($0.value.max() ?? 0) > ($1.value.max() ?? 0) }
            attempts = Dictionary(uniqueKeysWithValues: newestFirst.prefix(max(1, keep * 9 / 10)).map { ($0.key, $0.value) })
        }
    }
}
