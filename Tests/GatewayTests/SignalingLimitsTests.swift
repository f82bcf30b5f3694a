import CallStore
import Foundation
import Gateway
import HummingbirdTesting
import Ledger
import NIOWebSocket
import Projections
import Testing

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Limits on a live server: floods of any frame kind, sockets that stop reading, rate-limit strikes.
@Suite struct SignalingLimitsTests {
    @Test func aBinaryFloodEndsIn1008LikeATextFlood() async throws {
        try await withLiveRoom({ $0.messagesPerSecond = 20 }) { live in
            let flooder = live.host()
            let bob = try live.guest()
            try await withPeers([flooder, bob]) { _ in
                for _ in 0..<400 { flooder.send(binary: [0x7b, 0x7d]) }
                let error = try await flooder.next("error")
                #expect(error["code"] as? String == "invalid_message" || error["code"] as? String == "rate_limited")
                #expect(try await flooder.closed() == .policyViolation)
                // The other peer is unaffected.
                bob.send(#"{"type":"ping"}"#)
                _ = try await bob.next("pong")
            }
            try await live.client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"crow_signaling_sockets_closed_total{reason="flood"} 1"#))
            }
        }
    }

    @Test func aSocketThatStopsReadingIsClosedAndItsSeatTimesOut() async throws {
        try await withLiveRoom(grace: 2_000, { $0.messagesPerSecond = 100_000; $0.socketQueue = 16 }) { live in
            let (port, room, side) = (live.port, live.room, live.side)
            let ada = live.host(name: "Ada")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                _ = try await ada.next("welcome")
                // A client that completes the upgrade and then never reads another byte.
                let sloth = try RawSocket(port: port, receiveBuffer: 4096)
                defer { sloth.close() }
                let answer = try sloth.upgrade(path: "/calls/ws?" + query(room.code, token: try #require(room.guest).token.secret, name: "Sloth"))
                #expect(answer.hasPrefix("HTTP/1.1 101"), "\(answer)")
                let joined = try await ada.next("peer-joined")
                let slothId = try #require(joined["peerId"] as? String)

                let padding = String(repeating: "v", count: 60_000)
                // Up to 300 signals, in rounds of 20; once the server has let go of the stuck socket, its
                // seat answers `peer_unavailable` and the rest would only load the machine.
                var sent = 0
                while sent < 300 {
                    for _ in 0..<20 {
                        ada.send(#"{"type":"signal","to":"\#(slothId)","data":{"description":{"type":"offer","sdp":"\#(padding)"}}}"#)
                    }
                    sent += 20
                    if await ada.receives("error", within: .milliseconds(200)) { break }
                }
                // The server closed the stuck socket itself; after the resume grace the others hear that
                // the peer timed out, and the ledger says so.
                // (Bounded generously: relaying 18 MB in a debug build while other suites run takes a while.)
                let left = try await ada.next("peer-left", timeout: .seconds(90))
                #expect(left["peerId"] as? String == slothId)
                #expect(left["reason"] as? String == "timeout")
                // The others are told first; the ledger write follows.
                try await waitUntil("peer.left(timeout) recorded") { try await leaveReasons(side, room: room.code) == ["timeout"] }
                #expect(try sloth.drainsToEnd(within: .seconds(10)))
                ada.close()
                try? await group.waitForAll()
            }
            try await live.client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"crow_signaling_sockets_closed_total{reason="slow_reader"} 1"#))
            }
        }
    }
}

/// A bare TCP client, for a peer that does the WebSocket upgrade and then misbehaves.
final class RawSocket: @unchecked Sendable {
    private let fd: Int32

    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawSocketError.failed("socket") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw RawSocketError.failed("connect")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends a WebSocket upgrade request and returns the response head (up to the blank line).
    func upgrade(path: String) throws -> String {
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw RawSocketError.failed("send")
        }
        var head: [UInt8] = []
        var byte: UInt8 = 0
        // One byte at a time, so nothing after the head is consumed.
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard recv(fd, &byte, 1, 0) == 1 else { throw RawSocketError.failed("recv") }
            head.append(byte)
            if head.count > 8192 { throw RawSocketError.failed("head too long") }
        }
        return String(decoding: head, as: UTF8.self)
    }

    /// Sends `text` and returns every byte the server sends back until it closes the connection.
    func exchange(_ text: String) throws -> [UInt8] {
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw RawSocketError.failed("send")
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while reply.count < 65_536 {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            reply += buffer[0..<count]
        }
        return reply
    }

    /// Reads whatever is left until the server's end of the connection (true), or gives up.
    func drainsToEnd(within limit: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
        return false
    }

    func close() { Glibc.close(fd) }
}

enum RawSocketError: Error {
    case failed(String)
}
