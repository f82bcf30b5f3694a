import Foundation
import TestSupport

/// A client for `text/event-stream` over a bare socket: it sends one GET, decodes the chunked body
/// and hands out the events one by one, so a test can read a stream that never ends.
final class EventStreamClient {
    struct Event: Equatable {
        var id: String?
        var event: String?
        var data: String?
        var comments: [String] = []
    }

    private let socket: RawSocket
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    private(set) var status = 0
    private(set) var head = ""
    private(set) var closed = false

    init(port: Int, path: String, headers: [String: String]) async throws {
        socket = try RawSocket(port: port)
        var request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try socket.send(request + "\r\n")
        try await waitUntil("a response head for GET \(path) (\(raw.count) bytes so far)") {
            guard let bytes = socket.receiveNow() else {
                throw RawSocketError.failed("the server closed before a response head for GET \(path)")
            }
            raw += bytes
            return raw.containsSubsequence([13, 10, 13, 10])
        }
        let end = raw.firstRange(of: [13, 10, 13, 10])!
        head = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        raw.removeSubrange(..<end.upperBound)
    }

    /// The next event (or comment block) within `timeout`, or nil.
    func next(timeout: Duration = .seconds(30)) async throws -> Event? {
        try await first(within: timeout) { _ in true }
    }

    /// The next event that is not only comments.
    func nextEvent(timeout: Duration = .seconds(30)) async throws -> Event? {
        try await first(within: timeout) { $0.event != nil || $0.data != nil }
    }

    /// The first arriving event that is `wanted` (the ones before it are dropped), or nil when the
    /// stream ends or `timeout` passes first.
    private func first(within timeout: Duration, _ wanted: (Event) -> Bool) async throws -> Event? {
        var found: Event?
        _ = try await firstWithin(timeout) { () -> Bool? in
            while let event = arrived() {
                if wanted(event) {
                    found = event
                    return true
                }
            }
            return closed ? true : nil
        }
        return found
    }

    /// The next whole event that has arrived, reading what the socket holds without waiting; nil when
    /// none has (yet), or the stream has ended (`closed`).
    private func arrived() -> Event? {
        while true {
            decodeChunks()
            if let end = body.firstRange(of: [10, 10]) {
                let block = String(decoding: body[..<end.lowerBound], as: UTF8.self)
                body.removeSubrange(..<end.upperBound)
                return Self.parse(block)
            }
            guard !closed else { return nil }
            guard let bytes = socket.receiveNow() else {
                closed = true
                return nil
            }
            if bytes.isEmpty { return nil }
            raw += bytes
        }
    }

    func close() { socket.close() }

    private func decodeChunks() {
        while let lineEnd = raw.firstRange(of: [13, 10]) {
            let sizeText = String(decoding: raw[..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else { return }
            let start = lineEnd.upperBound
            guard raw.count >= start + size + 2 else { return }
            body += raw[start..<start + size]
            raw.removeSubrange(..<(start + size + 2))
            if size == 0 { closed = true }
        }
    }

    static func parse(_ block: String) -> Event {
        var event = Event()
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") {
                event.comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
                continue
            }
            let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
            guard let field = parts.first else { continue }
            let value = parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""
            switch field {
            case "id": event.id = value
            case "event": event.event = value
            case "data": event.data = (event.data.map { $0 + "\n" } ?? "") + value
            default: continue
            }
        }
        return event
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool { firstRange(of: needle) != nil }
}
