import Foundation
import HarnessKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP connection to the gateway on 127.0.0.1 for the web benchmark: one HTTP request, then
/// whatever the server sends. Raw sockets keep the client's own cost out of the figures and let one
/// thread hold a thousand live streams with `poll`.
final class BenchHTTPConnection {
    private let socket: LoopbackSocket
    var fd: Int32 { socket.fd }
    private(set) var received: [UInt8] = []

    init(port: Int) throws {
        socket = try LoopbackSocket(port: port)
    }

    deinit { socket.close() }

    func send(_ text: String) throws { try socket.send(text) }

    /// Reads what is there (the socket must be readable, or this blocks). False at end of stream.
    @discardableResult
    func readAvailable() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return false }
        received.append(contentsOf: chunk[0..<n])
        return true
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    func contains(_ marker: String) -> Bool { text.contains(marker) }

    func clear() { received.removeAll(keepingCapacity: true) }

    /// Reads until `marker` has arrived or `timeout` passes.
    func read(until marker: String, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while !contains(marker) {
            guard ContinuousClock.now < deadline else { throw BenchError("no \"\(marker)\" within \(timeout): \(text.prefix(300))") }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 100) > 0, !readAvailable() { throw BenchError("connection closed before \"\(marker)\": \(text.prefix(300))") }
        }
    }

    /// One request on a fresh connection; returns the status code.
    static func request(port: Int, _ head: String, timeout: Duration = .seconds(10)) throws -> Int {
        let connection = try BenchHTTPConnection(port: port)
        try connection.send(head)
        try connection.read(until: "\r\n", timeout: timeout)
        let status = connection.text.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        return status ?? 0
    }

    /// Waits until each connection has seen `marker`; returns, per connection, when it did (or nil on
    /// timeout).
    static func awaitAll(_ connections: [BenchHTTPConnection], marker: String, timeout: Duration) -> [ContinuousClock.Instant?] {
        var seen = [ContinuousClock.Instant?](repeating: nil, count: connections.count)
        var open = Set(connections.indices.filter { !connections[$0].contains(marker) })
        for index in connections.indices where !open.contains(index) { seen[index] = .now }
        let deadline = ContinuousClock.now + timeout
        var entries = [pollfd]()
        var order = [Int]()
        while !open.isEmpty, ContinuousClock.now < deadline {
            entries.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
            for index in open {
                entries.append(pollfd(fd: connections[index].fd, events: Int16(POLLIN), revents: 0))
                order.append(index)
            }
            guard poll(&entries, nfds_t(entries.count), 50) > 0 else { continue }
            let now = ContinuousClock.now
            for (slot, entry) in entries.enumerated() where entry.revents != 0 {
                let index = order[slot]
                if !connections[index].readAvailable() {
                    open.remove(index)
                    continue
                }
                if connections[index].contains(marker) {
                    seen[index] = now
                    open.remove(index)
                }
            }
        }
        return seen
    }
}
