import CallStore
import Hummingbird
import HummingbirdWebSocket
import Invites
import PushDelivery
import Signaling

/// The HTTP routes: health and metrics, the owner's login and API, and (unless calls are switched off)
/// the calls API, the web client and the plain-HTTP answers of the two WebSocket paths. With calls
/// switched off none of the calls routes exist (404); health, metrics, the owner's login and contacts
/// stay.
func buildRouter(_ parts: GatewayComponents) throws -> Router<GatewayContext> {
    let configuration = parts.configuration
    let store = parts.store
    let router = Router(context: GatewayContext.self)
    router.add(middleware: ForwardedHeadersMiddleware(trusted: configuration.trustedProxies))
    router.add(middleware: AccessLogMiddleware(logger: parts.logger))
    let credentials = addOwnerRoutes(
        to: router, owners: parts.owners, identity: parts.identity.publicKey, clock: store.settings.clock,
        configuration: configuration, address: parts.panel, suggestions: parts.suggestions
    )
    HealthController(store: store, metrics: parts.metrics, relays: parts.relayHealth).addRoutes(to: router)
    guard configuration.enabled else { return router }

    let api = router.group("api").add(middleware: RequireOwnerMiddleware())
    RoomsController(
        store: store,
        owners: parts.owners,
        composer: InviteComposer(identity: parts.identity),
        answers: parts.answers,
        metrics: parts.metrics,
        configuration: configuration,
        address: parts.panel
    ).addRoutes(to: api)
    BellController(store: store).addRoutes(to: api)
    RelaysController(owners: parts.owners, directory: parts.relays, health: parts.relayHealth).addRoutes(to: api)
    PushController(owners: parts.owners, sender: parts.notifier, panel: parts.panel, metrics: parts.metrics, logger: parts.logger)
        .addRoutes(to: api)
    CallsStreamController(
        store: store,
        credentials: credentials,
        heartbeat: configuration.streamHeartbeat,
        maxStreams: configuration.maxStreams,
        streams: CallsStreamController.StreamCount()
    ).addRoutes(to: api)
    SelfCheckController(store: store, owners: parts.owners, iceServers: parts.iceServers).addRoutes(to: api)
    try WebClientController(store: store, abuse: parts.abuse, configuration: configuration).addRoutes(to: router)
    // Reached only by requests that are not WebSocket upgrades. The self-test page asks it after its
    // socket failed to open (a browser is not shown a refused upgrade's answer): a client over the
    // self-test limit learns that, anyone else that the upgrade never reached the gateway.
    let abuse = parts.abuse
    router.get("calls/ws") { request, context -> Response in
        if SignalingCheck.request(request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }) == .check,
            let wait = abuse.checkBlockedFor(ip: context.clientIP, now: store.settings.clock())
        {
            throw GatewayError.rateLimited(retryAfter: wait)
        }
        throw GatewayError(.upgradeRequired, code: "invalid_request", message: "connect with a WebSocket", headers: [.upgrade: "websocket"])
    }
    router.get("nostr") { _, _ -> Response in
        throw GatewayError(.upgradeRequired, code: "invalid_request", message: "connect with a WebSocket (NIP-01)", headers: [.upgrade: "websocket"])
    }
    return router
}

/// The WebSocket upgrades: signaling (`/calls/ws`) and the Nostr inbox (`/nostr`), where other
/// gateways deliver invites directly (docs/NOSTR.md).
func buildWebSocketRouter(_ parts: GatewayComponents) -> Router<GatewayContext> {
    let configuration = parts.configuration
    let webSocketRouter = Router(context: GatewayContext.self)
    webSocketRouter.add(middleware: ForwardedHeadersMiddleware(trusted: configuration.trustedProxies))
    let signaling = SignalingEndpoint(
        store: parts.store,
        hub: parts.hub,
        abuse: parts.abuse,
        metrics: parts.metrics,
        refusals: parts.refusals,
        maxMessageBytes: configuration.maxMessageBytes
    )
    let nostrInbox = NostrInboxEndpoint(inbox: parts.inbox, abuse: parts.abuse, maxMessageBytes: configuration.maxMessageBytes)
    webSocketRouter.ws("nostr") { request, context in
        nostrInbox.shouldUpgrade(request, context: context)
    } onUpgrade: { inbound, outbound, context in
        try await nostrInbox.handle(inbound: inbound, outbound: outbound, context: context)
    }
    webSocketRouter.ws("calls/ws") { request, context in
        await signaling.shouldUpgrade(request, context: context)
    } onUpgrade: { inbound, outbound, context in
        try await signaling.handle(inbound: inbound, outbound: outbound, context: context)
    }
    return webSocketRouter
}
