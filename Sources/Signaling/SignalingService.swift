public import CallStore
import Ledger
public import Logging
import Projections
public import ServiceLifecycle

/// Runs signaling: the hub follows the ledger's feed (joins seat people, room ends close sockets,
/// whoever appended them), and a tick releases seats whose resume grace ran out, ends rooms that stayed
/// empty, retries ledger writes the hub still owes, and ends rooms past their expiry. On graceful
/// shutdown, after the server has closed every socket with a close frame, it records
/// `peer.left(shutdown)` for everyone still seated before the ledger closes.
public struct SignalingService: Service {
    let hub: SignalingHub
    let store: CallStore
    /// How often seats and rooms are checked.
    let tick: Duration
    /// How long shutdown may keep retrying ledger writes the hub owes.
    var shutdownBudget: Duration = .seconds(5)
    let logger: Logger

    public init(
        hub: SignalingHub,
        store: CallStore,
        tick: Duration,
        shutdownBudget: Duration = .seconds(5),
        logger: Logger
    ) {
        self.hub = hub
        self.store = store
        self.tick = tick
        self.shutdownBudget = shutdownBudget
        self.logger = logger
    }

    public func run() async throws {
        let start = await hub.applied
        let hub = self.hub
        let feed = store.feed
        await withTaskGroup(of: Void.self) { group in
            // Ends when the group is cancelled below, or when the feed finishes as the ledger closes.
            group.addTask {
                let follower = FeedFollower(feed: feed, start: .position(start)) { error, failures in
                    if failures == 1 { logger.error("reading the ledger feed failed; retrying", metadata: ["error": "\(error)"]) }
                }
                await follower.run { events, position in
                    await hub.apply(events)
                    position = events.last?.position ?? position
                }
            }
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
            await hub.shutdown(deadline: .now + shutdownBudget)
            group.cancelAll()
        }
    }

    /// Rooms live past their expiry are ended (`room.ended(expired)`), kicking whoever is still in; the
    /// hub closes their sockets when the end reaches it through the feed.
    func endExpiredRooms() async {
        let now = store.settings.clock()
        guard let expired = try? await store.read({ db in try Queries.liveRooms(in: db).filter { $0.expiresAt <= now } }) else {
            return
        }
        for room in expired {
            do {
                try await store.endRoom(room.code, reason: .expired)
            } catch {
                logger.warning("ending an expired room failed", metadata: ["room": "\(room.code)", "code": "\(error.code)"])
            }
        }
    }
}
