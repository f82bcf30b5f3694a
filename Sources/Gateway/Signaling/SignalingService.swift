import CallStore
import Ledger
import Logging
import Projections
import ServiceLifecycle

/// Drives signaling time: releases seats whose resume grace ran out, ends rooms that stayed empty,
/// and ends rooms past their expiry. On graceful shutdown, after the server has closed every socket
/// with a close frame, it records `peer.left(shutdown)` for everyone still seated.
struct SignalingService: Service {
    let hub: SignalingHub
    let store: CallStore
    /// How often seats and rooms are checked.
    let tick: Duration
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var sinceSweep = Duration.zero
            while !Task.isCancelled {
                try await Task.sleep(for: tick)
                await hub.tick()
                sinceSweep += tick
                if sinceSweep >= .seconds(30) {
                    sinceSweep = .zero
                    await endExpiredRooms()
                }
            }
        }
        await hub.shutdown()
    }

    /// Rooms live past their expiry are ended (`room.ended(expired)`), kicking whoever is still in.
    func endExpiredRooms() async {
        let now = store.settings.clock()
        guard let expired = try? await store.read({ db in try Queries.liveRooms(in: db).filter { $0.expiresAt <= now } }) else {
            return
        }
        for room in expired {
            do {
                try await store.endRoom(room.code, reason: .expired)
                await hub.roomEnded(room.code, reason: "expired")
            } catch {
                logger.warning("ending an expired room failed", metadata: ["room": "\(room.code)", "code": "\(error.code)"])
            }
        }
    }
}
