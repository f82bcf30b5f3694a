import CallStore
import Foundation
import Hummingbird
import NIOCore
import Projections

/// `GET /api/notifications/poll`: the bell that every open page of the instance polls. It reads the
/// projections only (the bell row and the ringing calls), never the events.
///
/// The answer carries a cursor that changes whenever its content does: when the ledger changes the bell
/// (a call arrives or is answered) and when a call stops ringing because its ring window passed, which
/// no event records. The cursor is also the `ETag`, so a poll that sends it back (`If-None-Match`, or
/// `?since=` for clients that cannot set headers) and finds nothing new gets an empty 304.
struct BellController: Sendable {
    let store: CallStore
    let cache = BellCache()

    struct Answer: Encodable {
        var cursor: String
        /// Incoming calls the owner has not acted on (ringing or missed).
        var unread: Int
        /// Calls ringing now, newest first.
        var ringing: [RingingCall]
    }

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.get("notifications/poll") { request, _ in try await poll(request) }
    }

    func poll(_ request: Request) async throws -> Response {
        let now = store.settings.clock()
        let answer: BellCache.Entry
        if let cached = cache.answer(head: store.feed.head, now: now) {
            answer = cached
        } else {
            answer = try await read(now: now)
        }
        let since = request.uri.query == nil ? nil : request.uri.queryParameters["since"].map(String.init)
        if since == answer.cursor || EntityTag.matches(request.headers, answer.etag) {
            return Response(status: .notModified, headers: answer.notModifiedHeaders)
        }
        return Response(status: .ok, headers: answer.headers, body: .init(byteBuffer: answer.body))
    }

    /// Reads the bell from the projections and keeps the answer for the polls that follow.
    func read(now: Int64) async throws -> BellCache.Entry {
        // The head is read first: an append that lands during the read moves the head past it, so the
        // answer is read again on the next poll rather than kept too long.
        let head = store.feed.head
        let ringWindow = store.settings.ringWindow
        let (bell, ringing) = try await ErrorStatus.answering {
            try await store.read { db in
                (try Queries.bell(in: db), try Queries.ringing(now: now, ringWindow: ringWindow, in: db))
            }
        }
        let cursor = Self.cursor(position: bell.position, ringing: ringing.map(\.inviteId))
        let calls = ringing.map { RingingCall($0, ringWindow: ringWindow) }
        let body = try JSONBody.encode(Answer(cursor: cursor, unread: max(0, bell.unread), ringing: calls))
        let etag = "\"\(cursor)\""
        let notModified: HTTPFields = [.eTag: etag, .cacheControl: "private, no-cache"]
        var headers = JSONBody.headers
        headers[.eTag] = etag
        headers[.cacheControl] = "private, no-cache"
        // Named here so that each 200 finds it set rather than having the response add it per poll.
        headers[.contentLength] = String(body.count)
        let entry = BellCache.Entry(
            head: head,
            validUntil: RingWindow(ringWindow).firstExpiry(receivedAt: ringing.map(\.receivedAt)),
            cursor: cursor,
            etag: etag,
            body: ByteBuffer(bytes: body),
            headers: headers,
            notModifiedHeaders: notModified
        )
        cache.keep(entry)
        return entry
    }

    /// The bell's position and the ringing calls, as a short opaque text (FNV-1a of the ids).
    static func cursor(position: Int64, ringing ids: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for id in ids {
            for byte in id.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            hash ^= 0x2c
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return "\(position).\(String(hash, radix: 16))"
    }
}
