import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import TestSupport
import WSClient

/// A real WebSocket client for tests: it connects, collects every text message, sends on request and
/// records how the server closed the socket. `run` is the connection; tests start it as a child task.
final class TestPeer: Sendable {
    enum Out: Sendable {
        case text(String)
        case binary([UInt8])
        case close
    }

    let url: String
    private let inbox = Mutex<[String]>([])
    private let closeCode = Mutex<(done: Bool, code: WebSocketErrorCode?)>((false, nil))
    private let outgoing: AsyncStream<Out>
    private let continuation: AsyncStream<Out>.Continuation

    init(port: Int, query: String) {
        url = "ws://127.0.0.1:\(port)/calls/ws?\(query)"
        (outgoing, continuation) = AsyncStream.makeStream(of: Out.self)
    }

    /// Runs the connection until either side closes it.
    func run() async throws {
        let outgoing = self.outgoing
        var logger = Logger(label: "test-peer")
        logger.logLevel = .critical
        do {
            let frame = try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await message in inbound.messages(maxSize: 1 << 22) {
                            if case .text(let text) = message { self.inbox.withLock { $0.append(text) } }
                        }
                    }
                    group.addTask {
                        for await item in outgoing {
                            switch item {
                            case .text(let text): try await outbound.write(.text(text))
                            case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                            case .close:
                                try await outbound.close(.normalClosure, reason: nil)
                                return
                            }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            closeCode.withLock { $0 = (true, frame?.closeCode) }
        } catch {
            closeCode.withLock { $0 = (true, nil) }
            throw error
        }
    }

    func send(_ text: String) { continuation.yield(.text(text)) }

    func send(_ object: [String: Any]) {
        send(String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    func send(binary bytes: [UInt8]) { continuation.yield(.binary(bytes)) }

    func close() { continuation.yield(.close) }

    /// Stops sending without a close frame: the test ends the task, the socket just drops.
    func finish() { continuation.finish() }

    /// The next message of `type` (earlier messages of other types stay queued), within `timeout`.
    func next(_ type: String, timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        try await waitFor(missing(type, timeout: timeout), timeout: timeout) { take(type) }
    }

    /// The first queued message of `type`, taken out of the queue; nil when none has arrived.
    private func take(_ type: String) -> [String: Any]? {
        let found: String? = inbox.withLock { messages in
            guard let index = messages.firstIndex(where: { Self.type(of: $0) == type }) else { return nil }
            return messages.remove(at: index)
        }
        return found.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:] }
    }

    /// Why a wait for `type` failed: the peer, whether its socket has ended, and the last messages it has.
    private func missing(_ type: String, timeout: Duration) -> String {
        let have = inbox.withLock { $0 }
        return "no \(type) message within \(timeout) on \(url.split(separator: "?").last ?? "") (finished: \(isFinished)); "
            + "have \(have.count) others, the last: \(have.suffix(3).map { String($0.prefix(300)) })"
    }

    /// Whether a message of `type` arrives within `window` (for asserting that one does not).
    func receives(_ type: String, within window: Duration) async -> Bool {
        (try? await next(type, timeout: window)) != nil
    }

    /// Whether the connection has ended (or was never accepted).
    var isFinished: Bool { closeCode.withLock { $0.done } }

    /// Waits until the server welcomes this peer (true) or the connection ends without it (false).
    func welcomed(timeout: Duration = .seconds(30)) async throws -> Bool {
        try await firstWithin(timeout) { () -> Bool? in
            if take("welcome") != nil { return true }
            // A welcome may have come in just before the end.
            return isFinished ? take("welcome") != nil : nil
        } ?? false
    }

    /// Waits for the socket to end and returns the server's close code.
    func closed(timeout: Duration = .seconds(30)) async throws -> WebSocketErrorCode? {
        try await waitUntil("the socket on \(url.split(separator: "?").last ?? "") to close within \(timeout)", timeout: timeout) {
            isFinished
        }
        return closeCode.withLock { $0.code }
    }

    static func type(of text: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return object["type"] as? String
    }
}

enum TestPeerError: Error, CustomStringConvertible {
    case timeout(String)

    var description: String {
        switch self {
        case .timeout(let message): return message
        }
    }
}

/// Runs every peer's connection, waits until each is welcomed, then runs `body` with the welcomes (in
/// the order of `peers`). Afterwards every peer still open is asked to close and the connections are
/// awaited (errors from sockets the test closed on purpose are not failures).
func withPeers(_ peers: [TestPeer], _ body: ([[String: Any]]) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for peer in peers { group.addTask { try await peer.run() } }
        var welcomes: [[String: Any]] = []
        for peer in peers { welcomes.append(try await peer.next("welcome")) }
        try await body(welcomes)
        for peer in peers where !peer.isFinished { peer.close() }
        try? await group.waitForAll()
    }
}
