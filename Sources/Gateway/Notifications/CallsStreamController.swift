import CallStore
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Projections
import ServiceLifecycle
import Synchronization

/// `GET /api/calls/stream`: Server-Sent Events for the owner, one per change to the incoming calls
/// (`received`, `accepted`, `dismissed`, `declined`, `missed`, and `expired` when a call rings out).
///
/// It follows the ledger's feed, so a change reaches the browser as soon as it commits; nothing polls
/// the database. Each event's `id` is its ledger position. A client that reconnects with
/// `Last-Event-ID` (browsers do this by themselves) gets every change after that position, once: the
/// feed replays from the file what is no longer in memory. A client that was away for more than
/// `maxReplay` events gets `reset` instead and should reload the bell. `expired` has no id: it is
/// derived from the clock, and a reconnecting client derives it again from the bell.
///
/// A comment line every `heartbeat` keeps proxies from closing an idle stream. The stream ends on
/// graceful shutdown, and as soon as the credential that opened it no longer holds (an API token
/// revoked, a sign-out, a password change, a session that expired): it is checked again every second
/// and before every change is sent, through the credential cache. Each stream holds a small queue; a
/// client that does not read is cut off and catches up with `Last-Event-ID` when it reconnects.
struct CallsStreamController: Sendable {
    let store: CallStore
    let credentials: OwnerCredentialCheck
    let heartbeat: Duration
    let maxStreams: Int
    let streams: StreamCount
    var maxReplay: Int64 = 100_000

    /// Open streams, for the cap.
    final class StreamCount: Sendable {
        private let open = Atomic<Int>(0)

        func enter(limit: Int) -> Bool {
            while true {
                let current = open.load(ordering: .relaxed)
                guard current < limit else { return false }
                if open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged { return true }
            }
        }

        func leave() { open.subtract(1, ordering: .relaxed) }
    }

    /// One place among the open streams, given back when the response is released, whether its body
    /// ran to the end or never ran at all (a client gone before the answer was written).
    final class StreamSlot: Sendable {
        let streams: StreamCount

        init(_ streams: StreamCount) { self.streams = streams }

        deinit { streams.leave() }
    }

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.get("calls/stream") { request, context in
            guard let owner = context.owner else { throw RequireOwnerMiddleware.refusal }
            return try await stream(request, owner: owner)
        }
    }

    private enum Input: Sendable {
        case events([RecordedEvent])
        case tick
    }

    func stream(_ request: Request, owner: OwnerPrincipal) async throws -> Response {
        let presented = OwnerCredentialCheck.presented(in: request)
        let credentials = self.credentials
        let authorized: @Sendable () async -> Bool = {
            for credential in presented where await credentials.stillValid(credential, as: owner) { return true }
            return false
        }
        let now = store.settings.clock()
        let ringWindow = store.settings.ringWindow
        let (head, ringing) = try await ErrorStatus.answering {
            try await store.read { db in
                (try EventReader.headPosition(in: db), try Queries.ringing(now: now, ringWindow: ringWindow, limit: 100, in: db))
            }
        }
        let lastEventID = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters["lastEventId"].map(String.init)
        var start = head
        var reset = false
        if let lastEventID, let position = Int64(lastEventID.trimmingCharacters(in: .whitespaces)), (0...head).contains(position) {
            if head - position <= maxReplay { start = position } else { reset = true }
        }
        guard streams.enter(limit: maxStreams) else {
            throw GatewayError(.tooManyRequests, code: "rate_limited", message: "too many open streams", headers: [.retryAfter: "5"])
        }
        let slot = StreamSlot(streams)
        let body = ResponseBody { [self, start, reset, slot] writer in
            _ = slot  // held by this closure, so given back when the response is released
            let (chunks, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(512))
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Graceful shutdown cancels the producer, which ends the stream and so the response.
                    try? await cancelWhenGracefulShutdown {
                        try await produce(
                            after: start, reset: reset, ringing: ringing, ringWindow: ringWindow, authorized: authorized, into: sink
                        )
                    }
                    sink.finish()
                }
                do {
                    for await chunk in chunks { try await writer.write(ByteBuffer(string: chunk)) }
                } catch {
                    group.cancelAll()  // the client went away
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("X-Accel-Buffering")!: "no", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: body
        )
    }

    /// Writes the stream's events into `sink` until cancelled or the feed ends.
    private func produce(
        after start: Int64,
        reset: Bool,
        ringing initial: [IncomingCallRecord],
        ringWindow: Int64,
        authorized: @escaping @Sendable () async -> Bool,
        into sink: AsyncStream<String>.Continuation
    ) async throws {
        // A client that does not read fills the queue: it is cut off (and resumes by Last-Event-ID).
        func send(_ text: String) throws {
            if case .dropped = sink.yield(text) { throw CancellationError() }
        }
        try send("retry: 3000\n: connected\n\n")
        if reset { try send("event: reset\ndata: {}\n\n") }
        // The calls that ring by the stream's count, by when they were received: each gets `expired`
        // once the ring window (`RingWindow`) says it no longer rings.
        let window = RingWindow(ringWindow)
        var ringingSince = Dictionary(initial.map { ($0.inviteId, $0.receivedAt) }, uniquingKeysWith: max)
        let (inputs, input) = AsyncStream.makeStream(of: Input.self, bufferingPolicy: .bufferingOldest(64))
        let feed = store.feed
        let store = self.store
        let heartbeat = self.heartbeat
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await events in feed.events(after: start) {
                    // Waits while the consumer is behind instead of dropping: the feed is pulled.
                    while case .dropped = input.yield(.events(events)) { try await Task.sleep(for: .milliseconds(10)) }
                }
                input.finish()
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    input.yield(.tick)
                }
            }
            var quietSince = ContinuousClock.now
            loop: for await next in inputs {
                switch next {
                case .events(let events):
                    guard await authorized() else { break loop }
                    for recorded in events {
                        guard
                            let change = try await IncomingChange.from(recorded, ringWindow: ringWindow, endedInvite: { event in
                                try await store.read { db in try Queries.endedInvite(by: event, in: db) }
                            })
                        else { continue }
                        if case .inviteReceived(let e) = recorded.event {
                            ringingSince[e.inviteId] = e.receivedAt
                        } else {
                            ringingSince[change.inviteId] = nil
                        }
                        try send(change.text)
                        quietSince = .now
                    }
                case .tick:
                    guard await authorized() else { break loop }
                    let now = store.settings.clock()
                    for (id, receivedAt) in ringingSince where !window.rings(receivedAt: receivedAt, now: now) {
                        ringingSince[id] = nil
                        try send(IncomingChange.expired(id).text)
                        quietSince = .now
                    }
                    if ContinuousClock.now - quietSince >= heartbeat {
                        try send(": ping\n\n")
                        quietSince = .now
                    }
                }
            }
            group.cancelAll()
        }
    }
}
