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

    /// The hub pings a socket it has heard nothing from; a client that answers stays, one that stays
    /// silent through the ping's interval is closed with 1001 `Ping timeout`, and its seat goes the way
    /// of any dropped seat.
    ///
    /// Ada's answers are her client's own pongs, so this runs on the real clock. The interval is large
    /// next to scheduling noise (a loaded machine once kept a 600 ms pong waiting long enough to time
    /// Ada out too), and every wait is for an outcome, with a deadline far past it.
    @Test func aSilentSocketIsPingedThenClosedWhileAnAnsweringOneStays() async throws {
        try await withLiveRoom(grace: 2_000, { $0.pingInterval = 5_000 }) { live in
            let (port, room, side) = (live.port, live.room, live.side)
            let ada = live.host(name: "Ada")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                _ = try await ada.next("welcome")
                // Bob completes the upgrade and then sends nothing at all, not even a pong.
                let bob = try RawSocket(port: port)
                defer { bob.close() }
                let answer = try await bob.upgrade(path: "/calls/ws?" + query(room.code, token: try #require(room.guest).token.secret, name: "Bob"))
                #expect(answer.hasPrefix("HTTP/1.1 101"), "\(answer)")
                let frames = try WebSocketFrames.parse(await bob.readToEnd(within: .seconds(90)))
                // First the ping, then (nothing heard) the close; asserted as an order, not a duration.
                let ping = try #require(frames.firstIndex { $0.opcode == 9 }, "no ping in \(frames)")
                let close = try #require(frames.last)
                #expect(close.opcode == 8 && frames.count - 1 > ping)
                #expect(close.closeCode == 1001)
                #expect(String(decoding: close.payload.dropFirst(2), as: UTF8.self) == "Ping timeout")
                // Ada's client answers every ping (the WebSocket layer does it by itself), so she stays:
                // she is told Bob timed out once his grace ends, and her socket still works.
                let left = try await ada.next("peer-left", timeout: .seconds(60))
                #expect(left["reason"] as? String == "timeout")
                ada.send(#"{"type":"ping"}"#)
                _ = try await ada.next("pong")
                #expect(!ada.isFinished)
                ada.close()
                try? await group.waitForAll()
            }
            try await waitUntil("peer.left(timeout) recorded") { try await leaveReasons(side, room: room.code) == ["timeout"] }
        }
    }

    @Test func aSocketThatStopsReadingIsClosedAndItsSeatTimesOut() async throws {
        try await withLiveRoom(grace: 5_000, { $0.messagesPerSecond = 100_000; $0.socketQueue = 16 }) { live in
            let (port, room, side) = (live.port, live.room, live.side)
            let ada = live.host(name: "Ada")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await ada.run() }
                _ = try await ada.next("welcome")
                // A client that completes the upgrade and then never reads another byte.
                let sloth = try RawSocket(port: port, receiveBuffer: 4096)
                defer { sloth.close() }
                let answer = try await sloth.upgrade(path: "/calls/ws?" + query(room.code, token: try #require(room.guest).token.secret, name: "Sloth"))
                #expect(answer.hasPrefix("HTTP/1.1 101"), "\(answer)")
                let joined = try await ada.next("peer-joined")
                let slothId = try #require(joined["peerId"] as? String)

                let padding = String(repeating: "v", count: 60_000)
                // Up to 300 signals, in rounds of 5, each round followed by a ping: the server answers a
                // socket's messages in order, so the pong means the round was handled, and Ada never has
                // more than a few answers on their way (her own queue is small in this test too). Once
                // the server has let go of the stuck socket, its seat answers `peer_unavailable`.
                var sent = 0
                while sent < 300 {
                    for _ in 0..<5 {
                        ada.send(#"{"type":"signal","to":"\#(slothId)","data":{"description":{"type":"offer","sdp":"\#(padding)"}}}"#)
                    }
                    sent += 5
                    ada.send(#"{"type":"ping"}"#)
                    _ = try await ada.next("pong", timeout: .seconds(60))
                    if await ada.receives("error", within: .milliseconds(1)) { break }
                }
                // The server closed the stuck socket itself; after the resume grace the others hear that
                // the peer timed out, and the ledger says so.
                // (Bounded generously: relaying 18 MB in a debug build while other suites run takes a while.)
                let left = try await ada.next("peer-left", timeout: .seconds(90))
                #expect(left["peerId"] as? String == slothId)
                #expect(left["reason"] as? String == "timeout")
                // The others are told first; the ledger write follows.
                try await waitUntil("peer.left(timeout) recorded") { try await leaveReasons(side, room: room.code) == ["timeout"] }
                #expect(try await sloth.drainsToEnd(within: .seconds(10)))
                ada.close()
                try? await group.waitForAll()
            }
            try await live.client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains(#"crow_signaling_sockets_closed_total{reason="slow_reader"} 1"#))
            }
        }
    }
}
