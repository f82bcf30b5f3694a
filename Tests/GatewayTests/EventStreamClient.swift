import Foundation

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
        let deadline = ContinuousClock.now + .seconds(30)
        while !raw.containsSubsequence([13, 10, 13, 10]) {
            guard ContinuousClock.now < deadline, let bytes = socket.receiveNow() else {
                throw RawSocketError.failed("no response head")
            }
            raw += bytes
            if bytes.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        }
        let end = raw.firstRange(of: [13, 10, 13, 10])!
        head = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
        status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        raw.removeSubrange(..<end.upperBound)
    }

    /// The next event (or comment block) within `timeout`, or nil.
    func next(timeout: Duration = .seconds(30)) async throws -> Event? {
        let deadline = ContinuousClock.now + timeout
        while true {
            decodeChunks()
            if let end = body.firstRange(of: [10, 10]) {
                let block = String(decoding: body[..<end.lowerBound], as: UTF8.self)
                body.removeSubrange(..<end.upperBound)
                return Self.parse(block)
            }
            guard !closed, ContinuousClock.now < deadline else { return nil }
            if let bytes = socket.receiveNow() {
                raw += bytes
                if bytes.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            } else {
                closed = true
            }
        }
    }

    /// The next event that is not only comments.
    func nextEvent(timeout: Duration = .seconds(30)) async throws -> Event? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let event = try await next(timeout: deadline - ContinuousClock.now) else { return nil }
            if event.event != nil || event.data != nil { return event }
        }
        return nil
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
