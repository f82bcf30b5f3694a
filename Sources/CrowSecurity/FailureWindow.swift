/// Failed attempts (token guesses, wrong passwords) in a sliding window, per client and in total.
///
/// A client is refused once it has `perClient` failures within `window`; everyone is refused once
/// there are `global` failures within `window`, so an attacker who rotates addresses still meets a
/// ceiling. Clients are keyed by `ClientAddress.bucket` (an IPv6 /64 is one client). Memory is
/// bounded: past `maxClients` entries, expired ones are dropped and then the least recently used are
/// evicted (down to 90%, so eviction does not run on every new address); nothing else is forgotten.
/// Pure: the caller passes the time and holds the lock.
public struct FailureWindow: Sendable {
    public let perClient: Int
    public let global: Int
    /// Milliseconds.
    public let window: Int64
    public let maxClients: Int

    private struct Entry {
        var times: [Int64]
        var lastUsed: Int64
    }

    private var clients: [String: Entry] = [:]
    private var all: [Int64] = []

    public init(perClient: Int, global: Int, window: Int64, maxClients: Int = 10_000) {
        self.perClient = max(1, perClient)
        self.global = max(1, global)
        self.window = max(1, window)
        self.maxClients = max(1, maxClients)
    }

    /// Seconds until `client` may try again, or nil when it may try now.
    public mutating func retryAfter(_ client: String, now: Int64) -> Int? {
        pruneGlobal(now: now)
        // Each exceeded limit frees up when its oldest failure leaves the window; both must be free.
        var until: Int64?
        if all.count >= global, let first = all.first { until = first + window }
        if let entry = clients[ClientAddress.bucket(client)] {
            let recent = entry.times.filter { $0 > now - window }
            if recent.count >= perClient, let first = recent.first { until = max(until ?? 0, first + window) }
        }
        guard let until else { return nil }
        return max(1, Int((until - now + 999) / 1000))
    }

    /// Counts one failure (or one attempt under way) for `client`.
    public mutating func record(_ client: String, now: Int64) {
        let key = ClientAddress.bucket(client)
        var entry = clients[key] ?? Entry(times: [], lastUsed: now)
        entry.times = entry.times.filter { $0 > now - window }
        entry.times.append(now)
        if entry.times.count > perClient { entry.times.removeFirst(entry.times.count - perClient) }
        entry.lastUsed = now
        clients[key] = entry
        all.append(now)
        pruneGlobal(now: now)
        if clients.count > maxClients { evict(now: now) }
    }

    /// The client succeeded: its failures are forgotten, and its last attempt leaves the global count.
    public mutating func forget(_ client: String) {
        if clients.removeValue(forKey: ClientAddress.bucket(client)) != nil, !all.isEmpty { all.removeLast() }
    }

    /// Failures counted for `client` now.
    public func failures(_ client: String, now: Int64) -> Int {
        (clients[ClientAddress.bucket(client)]?.times ?? []).filter { $0 > now - window }.count
    }

    /// Clients currently held in memory.
    public var clientCount: Int { clients.count }

    private mutating func pruneGlobal(now: Int64) {
        let expired = all.prefix { $0 <= now - window }.count
        if expired > 0 { all.removeFirst(expired) }
        if all.count > global { all.removeFirst(all.count - global) }
    }

    private mutating func evict(now: Int64) {
        clients = clients.filter { $0.value.times.contains { $0 > now - window } }
        guard clients.count > maxClients else { return }
        let keep = max(1, maxClients * 9 / 10)
        let newestFirst = clients.sorted { $0.value.lastUsed > $1.value.lastUsed }
        clients = Dictionary(uniqueKeysWithValues: newestFirst.prefix(keep).map { ($0.key, $0.value) })
    }
}
