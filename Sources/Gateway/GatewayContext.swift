public import Hummingbird
public import HummingbirdWebSocket
public import NIOCore
import Signaling
import Synchronization

/// Who is acting as the owner on a request: a browser session (cookie) or an API token (Bearer).
public enum OwnerPrincipal: Sendable, Hashable {
    case session(id: String)
    case apiToken(id: String)
}

/// The request context of every route, HTTP and WebSocket alike.
public struct GatewayContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The peer's address, for per-IP limits. Never logged with secrets.
    public let remoteAddress: SocketAddress?
    /// The connection, for answering a refused WebSocket upgrade (see `UpgradeRefusals`).
    let channel: any Channel
    /// Set by `OwnerAuthMiddleware` when the request carries valid owner credentials.
    public var owner: OwnerPrincipal?
    /// What the upgrade check decided, handed from `shouldUpgrade` to the connection handler.
    let handoff: UpgradeHandoff

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
        owner = nil
        handoff = UpgradeHandoff()
        clientIP = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The client's IP address as text ("unknown" when the transport has none): the peer's, or behind a
    /// trusted reverse proxy the one it forwarded (`ForwardedHeadersMiddleware`).
    public internal(set) var clientIP: String
}

/// Carries the admission made by the upgrade check to the WebSocket handler of the same request: a
/// participant's seat, or the self-test socket (`SignalingCheck`).
final class UpgradeHandoff: Sendable {
    private let value = Mutex<SignalingAdmission?>(nil)
    private let check = Mutex(false)

    func put(_ admission: SignalingAdmission) { value.withLock { $0 = admission } }
    func take() -> SignalingAdmission? { value.withLock { admission in defer { admission = nil }; return admission } }

    func putCheck() { check.withLock { $0 = true } }
    func takeCheck() -> Bool { check.withLock { admitted in defer { admitted = false }; return admitted } }
}
