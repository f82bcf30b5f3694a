import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP client, for a peer that does the WebSocket upgrade and then misbehaves.
final class RawSocket: @unchecked Sendable {
    private let connection: LoopbackSocket
    private var fd: Int32 { connection.fd }

    init(port: Int, receiveBuffer: Int32? = nil) throws {
        connection = try LoopbackSocket(port: port, receiveBuffer: receiveBuffer)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(connection.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends a WebSocket upgrade request and returns the response head (up to the blank line). It polls
    /// without blocking: the server answering it runs on the same few threads as the tests.
    func upgrade(path: String) async throws -> String {
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try connection.send(request)
        var head: [UInt8] = []
        var byte: UInt8 = 0
        try await waitUntil("the upgrade response to \(path) (\(head.count) bytes of its head so far)") {
            // One byte at a time, so nothing after the head is consumed.
            while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
                let count = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
                if count == 1 {
                    head.append(byte)
                    if head.count > 8192 { throw RawSocketError.failed("head too long") }
                    continue
                }
                guard count < 0, errno == EAGAIN || errno == EWOULDBLOCK else {
                    throw RawSocketError.failed("recv after \(head.count) bytes of the head")
                }
                return false
            }
            return true
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// Sends `text` and returns every byte the server sends back until it closes the connection.
    func exchange(_ text: String) throws -> [UInt8] {
        try connection.send(text)
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while reply.count < 65_536 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            reply += buffer[0..<count]
        }
        return reply
    }

    /// Reads whatever is left until the server's end of the connection (true), or gives up. Polls
    /// without blocking, as `upgrade` does.
    func drainsToEnd(within limit: Duration) async throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let ended = try await firstWithin(limit) { () -> Bool? in
            while true {
                let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count == 0 { return true }
                if count > 0 { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
                return errno == ECONNRESET
            }
        }
        return ended ?? false
    }

    /// Sends raw bytes.
    func send(_ text: String) throws { try connection.send(text) }

    /// Whatever has arrived, without waiting: empty when nothing has, nil once the server closed.
    func receiveNow() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if count > 0 { return Array(buffer[0..<count]) }
        if count == 0 { return nil }
        return errno == EAGAIN || errno == EWOULDBLOCK ? [] : nil
    }

    /// Sends one masked text frame, as a browser would (payloads under 126 bytes).
    func sendFrame(_ text: String) throws {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        let bytes = [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try connection.send(bytes)
    }

    /// Everything the server sends until it ends the connection; throws if the connection is reset
    /// (whatever had not been read is then lost) or `limit` passes. It polls without blocking, so a
    /// long wait does not hold one of the few threads the other tests share.
    func readToEnd(within limit: Duration) async throws -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        try await waitUntil("the server to end the connection within \(limit) (\(received.count) bytes read)", timeout: limit) {
            while true {
                let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count == 0 { return true }
                if count > 0 {
                    received += buffer[0..<count]
                    continue
                }
                guard errno == EAGAIN || errno == EWOULDBLOCK else {
                    throw RawSocketError.failed("recv: errno \(errno) after \(received.count) bytes")
                }
                return false
            }
        }
        return received
    }

    func close() { connection.close() }
}

/// Server-to-client WebSocket frames (unmasked), parsed from raw bytes.
enum WebSocketFrames {
    struct Frame: CustomStringConvertible {
        let opcode: UInt8
        let payload: [UInt8]

        var text: String? { opcode == 1 ? String(decoding: payload, as: UTF8.self) : nil }
        var closeCode: Int? { opcode == 8 && payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
        var description: String { "opcode \(opcode), \(payload.count) bytes" }
    }

    static func parse(_ bytes: [UInt8]) throws -> [Frame] {
        var frames: [Frame] = []
        var index = 0
        while index + 2 <= bytes.count {
            let opcode = bytes[index] & 0x0F
            var length = Int(bytes[index + 1] & 0x7F)
            index += 2
            if length == 126 {
                guard index + 2 <= bytes.count else { throw RawSocketError.failed("truncated length") }
                length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                index += 2
            } else if length == 127 {
                guard index + 8 <= bytes.count else { throw RawSocketError.failed("truncated length") }
                length = bytes[index..<index + 8].reduce(0) { $0 << 8 | Int($1) }
                index += 8
            }
            guard index + length <= bytes.count else { throw RawSocketError.failed("truncated frame") }
            frames.append(Frame(opcode: opcode, payload: Array(bytes[index..<index + length])))
            index += length
        }
        guard index == bytes.count else { throw RawSocketError.failed("trailing bytes") }
        return frames
    }
}

enum RawSocketError: Error {
    case failed(String)
}
