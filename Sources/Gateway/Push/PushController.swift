import CrowSecurity
import Decisions
import Hummingbird
import Invites
import Logging
import Notify
import OwnerStore
import PushDelivery

/// The owner's Web Push settings (docs/API.md): the VAPID public key browsers subscribe with, the
/// subscriptions themselves, and a test send to every browser and to ntfy.
struct PushController: Sendable {
    let owners: OwnerStore
    let sender: NotificationSender
    let panel: PublicAddress
    let metrics: GatewayMetrics
    let logger: Logger
    static let maxBodyBytes = 8192

    /// `PushSubscription.toJSON()`.
    struct SubscriptionInput: Decodable {
        struct Keys: Decodable {
            var p256dh: String?
            var auth: String?
        }
        var endpoint: String?
        var keys: Keys?
    }

    struct Unsubscribe: Decodable {
        var endpoint: String?
    }

    struct Subscription: Encodable {
        var id: String
        /// Only the push service's origin: the full endpoint is a capability and is not shown again.
        var service: String
        var createdAt: Int64
        var lastSentAt: Int64?
        var failures: Int

        init(_ record: PushSubscriptionRecord) {
            id = record.id
            service = (try? PushSubscription(endpoint: record.endpoint, p256dh: record.p256dh, auth: record.auth).origin) ?? ""
            createdAt = record.createdAt
            lastSentAt = record.lastSentAt
            failures = record.failures
        }
    }

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.get("push/vapid-key") { _, _ in
            struct Key: Encodable { var publicKey: String }
            return try JSONBody.response(Key(publicKey: sender.vapid.publicKey))
        }
        group.get("push/subscriptions") { _, _ in try await list() }
        group.post("push/subscriptions") { request, _ in try await subscribe(request) }
        group.delete("push/subscriptions") { request, _ in try await unsubscribe(request) }
        group.delete("push/subscriptions/:id") { _, context in
            guard let id = context.parameters.get("id"), id.utf8.count <= 64 else { throw GatewayError.invalidRequest("bad subscription id") }
            return try await remove(id)
        }
        group.post("push/test") { _, _ in try await test() }
    }

    func list() async throws -> Response {
        let records = try await ErrorStatus.answering { try await owners.pushSubscriptions() }
        struct List: Encodable {
            var subscriptions: [Subscription]
            var ntfy: Bool
        }
        return try JSONBody.response(List(subscriptions: records.map(Subscription.init), ntfy: sender.ntfyURL != nil))
    }

    func subscribe(_ request: Request) async throws -> Response {
        let input = try await JSONBody.decode(SubscriptionInput.self, from: request, limit: Self.maxBodyBytes)
        let checked: PushSubscription
        do {
            checked = try PushSubscription(endpoint: input.endpoint ?? "", p256dh: input.keys?.p256dh ?? "", auth: input.keys?.auth ?? "")
        } catch {
            throw GatewayError(.badRequest, code: "invalid_subscription", message: error.description)
        }
        let (record, created) = try await ErrorStatus.answering {
            try await owners.savePushSubscription(endpoint: checked.endpoint, p256dh: checked.p256dh, auth: checked.auth)
        }
        return try JSONBody.response(Subscription(record), status: created ? .created : .ok)
    }

    func unsubscribe(_ request: Request) async throws -> Response {
        let input = try await JSONBody.decode(Unsubscribe.self, from: request, limit: Self.maxBodyBytes)
        guard let endpoint = input.endpoint, endpoint.utf8.count <= 1024 else { throw GatewayError.invalidRequest("endpoint is required") }
        return try await remove(endpoint)
    }

    func remove(_ endpointOrID: String) async throws -> Response {
        let removed = try await ErrorStatus.answering { try await owners.deletePushSubscription(endpointOrID: endpointOrID) }
        guard removed else { throw GatewayError(.notFound, code: "not_found", message: "no such push subscription") }
        return Response(status: .noContent)
    }

    /// Sends a test notice now, to every browser and to ntfy, and says how each went.
    func test() async throws -> Response {
        let records = try await ErrorStatus.answering { try await owners.pushSubscriptions() }
        let notice = CallNotice(kind: .test, callId: "test-\(Secrets.identifier())", callerName: "Crow Calls", panelURL: panel.panelURL)
        struct Result: Encodable {
            var subscription: String
            var result: String
        }
        struct Answer: Encodable {
            var webPush: [Result]
            /// `delivered`, `failed: <reason>`, or `off` when ntfy is not configured.
            var ntfy: String
        }
        let bookkeeping = SendBookkeeping(owners: owners, metrics: metrics, logger: logger)
        async let pushes = withTaskGroup(of: Result.self) { group in
            for record in records {
                group.addTask {
                    let outcome = await sender.push(notice, to: record)
                    await bookkeeping.record(outcome, channel: "webpush", subscription: record)
                    switch outcome {
                    case .delivered: return Result(subscription: record.id, result: "delivered")
                    case .gone: return Result(subscription: record.id, result: "gone (removed)")
                    case .failed(let reason), .retryable(let reason): return Result(subscription: record.id, result: "failed: \(reason)")
                    }
                }
            }
            var results: [Result] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.subscription < $1.subscription }
        }
        var ntfy = "off"
        if sender.ntfyURL != nil {
            let outcome = await sender.ntfy(notice)
            await bookkeeping.record(outcome, channel: "ntfy", subscription: nil)
            switch outcome {
            case .delivered: ntfy = "delivered"
            case .failed(let reason), .retryable(let reason): ntfy = "failed: \(reason)"
            case .gone: ntfy = "failed: gone"
            }
        }
        return try JSONBody.response(Answer(webPush: await pushes, ntfy: ntfy))
    }
}
