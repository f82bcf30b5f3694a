import AsyncHTTPClient
import Crypto
import Foundation
public import NIOCore
import NIOHTTP1
public import Notify
public import OwnerStore
import Synchronization

/// Sends one notice over one channel: an encrypted Web Push message to a browser's push service, or a
/// publish to the ntfy topic. Every request has a timeout and follows no redirects; nothing here waits
/// on anything else, so a slow push service costs only its own send.
public final class NotificationSender: Sendable {
    public enum Outcome: Sendable, Equatable {
        case delivered
        /// The push service says the subscription no longer exists (404, 410): it is removed.
        case gone
        /// Worth another try (timeouts, refused connections, 429 and 5xx).
        case retryable(String)
        /// Will not work by trying again (other 4xx, a payload that does not fit).
        case failed(String)
    }

    /// The HTTP client, made on first use and shut down with the dispatcher: a gateway that is built but
    /// never run (tests, a refused start) never makes one. After `shutdown`, sends fail at once.
    private let state: Mutex<(client: HTTPClient?, closed: Bool)>
    private let clientConfiguration: HTTPClient.Configuration
    public let vapid: VapidKey
    public let subject: String
    public let ntfyURL: String?
    public let ntfyToken: String?
    public let timeout: Duration

    public init(vapid: VapidKey, subject: String, ntfyURL: String?, ntfyToken: String?, timeout: Duration) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        clientConfiguration = configuration
        state = Mutex((nil, false))
        self.vapid = vapid
        self.subject = subject
        self.ntfyURL = ntfyURL
        self.ntfyToken = ntfyToken
        self.timeout = timeout
    }

    public func shutdown() async {
        let client = state.withLock { state -> HTTPClient? in
            state.closed = true
            defer { state.client = nil }
            return state.client
        }
        try? await client?.shutdown()
    }

    private func client() -> HTTPClient? {
        state.withLock { state in
            if state.closed { return nil }
            if let client = state.client { return client }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            state.client = client
            return client
        }
    }

    /// An encrypted Web Push message (RFC 8030/8291/8292) to one browser.
    public func push(_ notice: CallNotice, to record: PushSubscriptionRecord) async -> Outcome {
        guard let subscription = try? PushSubscription(endpoint: record.endpoint, p256dh: record.p256dh, auth: record.auth) else {
            return .gone
        }
        do {
            let body = try WebPushEncryption.encrypt(notice.pushPayload(), for: subscription)
            // RFC 8292 allows at most 24 hours; 12 leaves room for clocks that disagree.
            let expires = Int64(Date().timeIntervalSince1970) + 12 * 3600
            var request = HTTPClientRequest(url: record.endpoint)
            request.method = .POST
            request.headers.add(name: "Authorization", value: try vapid.authorization(audience: subscription.origin, subject: subject, expiresAt: expires))
            request.headers.add(name: "Content-Encoding", value: "aes128gcm")
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            // A ringing call is worth nothing a minute later; a missed one can wait for the phone.
            request.headers.add(name: "TTL", value: notice.kind == .ringing ? "60" : "86400")
            request.headers.add(name: "Urgency", value: notice.kind == .ringing ? "high" : "normal")
            // The same topic for the ringing and the missed notice: the push service keeps only the newer.
            request.headers.add(name: "Topic", value: Self.topic(notice.tag))
            request.body = .bytes(ByteBuffer(bytes: body))
            return try await send(request, channel: "webpush")
        } catch WebPushEncryption.Failure.tooLarge {
            return .failed("the notice does not fit one push message")
        } catch {
            return .retryable("\(error)")
        }
    }

    /// A publish to the ntfy topic, when one is configured.
    public func ntfy(_ notice: CallNotice) async -> Outcome {
        guard let ntfyURL else { return .failed("ntfy is not configured") }
        let message = NtfyMessage(notice, token: ntfyToken)
        var request = HTTPClientRequest(url: ntfyURL)
        request.method = .POST
        for (name, value) in message.headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: message.body))
        do {
            return try await send(request, channel: "ntfy")
        } catch {
            return .retryable("\(error)")
        }
    }

    private func send(_ request: HTTPClientRequest, channel: String) async throws -> Outcome {
        guard let client = client() else { return .retryable("the gateway is stopping") }
        let response = try await client.execute(request, timeout: .init(timeout))
        // Read a little of the answer for the log; the connection is then free again.
        let answer = try? await response.body.collect(upTo: 4096)
        let status = Int(response.status.code)
        if channel == "webpush" && (status == 404 || status == 410) { return .gone }
        switch status {
        case 200..<300:
            return .delivered
        case 408, 425, 429, 500..<600:
            return .retryable("HTTP \(status)")
        default:
            let text = answer.map { String(buffer: $0).prefix(200) } ?? ""
            return .failed("HTTP \(status) \(text)")
        }
    }

    /// A Web Push `Topic` (at most 32 characters of the base64url alphabet) for a notice tag.
    public static func topic(_ tag: String) -> String {
        String(Base64URL.encode(SHA256.hash(data: Data(tag.utf8))).prefix(32))
    }
}

extension TimeAmount {
    public init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
