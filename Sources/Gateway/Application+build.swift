import CallStore
import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Ledger
public import Logging
import OwnerStore
import Projections
import NIOSSL
import Nostr
import Notify

/// The composition root: everything the gateway runs is built here, for `crow-calls serve` and for tests.
///
/// It opens the ledger (applying migrations), closes the seats of anyone left marked present by a crash
/// (`peer.left(restart)`), starts signaling from the live rooms, and mounts the routes: owner
/// authentication, the owner's API, and (unless calls are switched off) the calls API, the signaling
/// WebSocket and the Nostr inbox. The long-running parts are services of the application's one service
/// group: the ledger and its feed, signaling, the invite outbox, call messages (`call_declined`,
/// `room_closed`), the relay subscriptions and the notification dispatcher (Web Push, ntfy);
/// on graceful shutdown the server closes every socket with a close frame, then signaling records who
/// left (`peer.left(shutdown)`), then the ledger is closed.
public func buildApplication(
    _ configuration: GatewayConfiguration,
    logger: Logger = Logger(label: "crow-calls"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    onSetupURL: @escaping @Sendable (String) async -> Void = { _ in },
    onOwnerReady: @escaping @Sendable (_ loginURL: String) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try configuration.validate()
    // One ledger file: the calls domain appends to it, the owner's records live beside the events.
    let (ledger, store) = try openCallStore(configuration)
    let owners = OwnerStore(ledger: ledger, clock: configuration.clock)
    // The gateway's Nostr identity: made on first start, beside the ledger unless configured.
    let identity: NostrSecretKey
    do {
        let loaded = try NostrIdentity.loadOrCreate(at: configuration.nostrKeyPath)
        identity = loaded.key
        if loaded.created {
            logger.notice("created the gateway's Nostr identity", metadata: ["npub": "\(identity.publicKey.npub)"])
        }
    } catch {
        throw ConfigurationError(setting: "CROW_NOSTR_KEY_FILE", value: configuration.nostrKeyPath, reason: error.reason)
    }
    // The Web Push (VAPID) key: given, or made on first start beside the ledger.
    let vapid: VapidKey
    if let given = configuration.vapidPrivateKey, let key = VapidKey(privateKey: given) {
        vapid = key
    } else {
        do {
            vapid = try VapidKey.loadOrCreate(at: configuration.vapidKeyPath).key
        } catch {
            throw ConfigurationError(setting: "CROW_VAPID_KEY_FILE", value: configuration.vapidKeyPath, reason: error.reason)
        }
    }
    let recovered = try await store.recoverAfterRestart()
    if recovered > 0 {
        logger.notice("closed seats left open by an unclean stop", metadata: ["peers": "\(recovered)"])
    }
    let metrics = GatewayMetrics(store: store)
    var limits = AbuseGuard.Limits()
    limits.connectionsPerIP = configuration.connectionsPerIP
    limits.failuresPerIP = configuration.failedJoinsPerIP
    limits.messagesPerSecond = configuration.messagesPerSecond
    let abuse = AbuseGuard(limits: limits)
    // What participants are handed in their welcome, and the owner on the self-test page.
    let iceServers = IceServerProvider(
        stunURLs: configuration.stunURLs,
        turnURLs: configuration.turnURLs,
        turnSecret: configuration.turnSecret
    )
    let hub = SignalingHub(
        store: store,
        metrics: metrics,
        settings: SignalingHub.Settings(
            grace: configuration.resumeGrace,
            emptyGrace: configuration.emptyRoomGrace,
            outgoingQueue: configuration.socketQueue,
            pingInterval: configuration.pingInterval,
            iceServers: iceServers
        ),
        logger: logger
    )
    // The hub starts from the live rooms at one position and follows the ledger from there.
    let snapshot = try await store.read { db in
        SignalingSnapshot(
            position: try EventReader.headPosition(in: db),
            liveRooms: try Queries.liveRoomsForSignaling(in: db).map {
                SignalingSnapshot.Room(code: $0.room.code, maxPeers: $0.room.maxPeers, present: $0.room.peerCount, hadPeers: $0.hadPeers)
            }
        )
    }
    await hub.start(snapshot)
    let refusals = UpgradeRefusals()
    let signaling = SignalingEndpoint(
        store: store,
        hub: hub,
        abuse: abuse,
        metrics: metrics,
        refusals: refusals,
        maxMessageBytes: configuration.maxMessageBytes
    )

    // Incoming Nostr events, from the configured relays and from the `/nostr` endpoint.
    let inviteInbox = InviteInbox(
        store: store, owners: owners, identity: identity, metrics: metrics, logger: logger,
        senderBudget: SenderBudget(rate: Double(configuration.contactInvitesPerMinute) / 60, burst: Double(configuration.contactInvitesPerMinute))
    )
    let answerQueue = AnswerSender.Queue()
    // Notifications for when no page is open: Web Push and ntfy (docs/NOTIFICATIONS.md).
    // The address other people reach the gateway at (invites, guest links, the panel in notifications).
    let panel = PublicAddress(
        configured: configuration.gatewayURL,
        saved: try await owners.savedPublicAddress(),
        listening: ownerBaseURL(configuration: configuration, port: configuration.port)
    )
    let suggestions = PublicAddressSuggestions(configuration: configuration, logger: logger)
    let notifier = NotificationSender(
        vapid: vapid,
        subject: configuration.vapidSubject ?? vapidSubject(configuration),
        ntfyURL: configuration.ntfyURL,
        ntfyToken: configuration.ntfyToken,
        timeout: configuration.notificationTimeout
    )
    let router = Router(context: GatewayContext.self)
    router.add(middleware: ForwardedHeadersMiddleware(trusted: configuration.trustedProxies))
    router.add(middleware: AccessLogMiddleware(logger: logger))
    let credentials = addOwnerRoutes(to: router, owners: owners, identity: identity.publicKey, clock: store.settings.clock,
        configuration: configuration, address: panel, suggestions: suggestions)
    // The gateway's own relays: the configured ones and those the owner saved in the panel.
    let relays = RelayDirectory(
        configured: configuration.enabled ? configuration.nostrRelays : [],
        saved: configuration.enabled ? try await owners.savedRelays() : []
    )
    let relayHealth = RelayHealth(relays: relays.current, metrics: metrics)
    HealthController(store: store, metrics: metrics, relays: relayHealth).addRoutes(to: router)
    let webSocketRouter = Router(context: GatewayContext.self)
    webSocketRouter.add(middleware: ForwardedHeadersMiddleware(trusted: configuration.trustedProxies))
    // With calls switched off, none of the calls routes exist (404); health, metrics, the owner's
    // login and contacts stay.
    if configuration.enabled {
        let api = router.group("api").add(middleware: RequireOwnerMiddleware())
        RoomsController(
            store: store,
            owners: owners,
            composer: InviteComposer(identity: identity),
            answers: answerQueue,
            metrics: metrics,
            configuration: configuration,
            address: panel
        ).addRoutes(to: api)
        BellController(store: store).addRoutes(to: api)
        RelaysController(owners: owners, directory: relays, health: relayHealth).addRoutes(to: api)
        PushController(owners: owners, sender: notifier, panel: panel, metrics: metrics, logger: logger).addRoutes(to: api)
        CallsStreamController(
            store: store,
            credentials: credentials,
            heartbeat: configuration.streamHeartbeat,
            maxStreams: configuration.maxStreams,
            streams: CallsStreamController.StreamCount()
        ).addRoutes(to: api)
        SelfCheckController(store: store, owners: owners, iceServers: iceServers).addRoutes(to: api)
        try WebClientController(store: store, abuse: abuse, configuration: configuration).addRoutes(to: router)
        // Reached only by requests that are not WebSocket upgrades. The self-test page asks it after its
        // socket failed to open (a browser is not shown a refused upgrade's answer): a client over the
        // self-test limit learns that, anyone else that the upgrade never reached the gateway.
        router.get("calls/ws") { request, context -> Response in
            if SignalingCheck.request(request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }) == .check,
                let wait = abuse.checkBlockedFor(ip: context.clientIP, now: store.settings.clock())
            {
                throw GatewayError.rateLimited(retryAfter: wait)
            }
            throw GatewayError(.upgradeRequired, code: "invalid_request", message: "connect with a WebSocket", headers: [.upgrade: "websocket"])
        }
        // The Nostr inbox: other gateways deliver invites here directly (docs/NOSTR.md).
        let nostrInbox = NostrInboxEndpoint(
            inbox: inviteInbox,
            abuse: abuse,
            maxMessageBytes: configuration.maxMessageBytes
        )
        router.get("nostr") { _, _ -> Response in
            throw GatewayError(.upgradeRequired, code: "invalid_request", message: "connect with a WebSocket (NIP-01)", headers: [.upgrade: "websocket"])
        }
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
    }
    // Switched off, the server does not speak WebSocket at all: an upgrade request is an ordinary
    // request for a route that does not exist (404).
    var server: HTTPServerBuilder =
        configuration.enabled
        ? .http1WebSocketUpgrade(
            webSocketRouter: webSocketRouter,
            configuration: .init(
                http1: .init(additionalChannelHandlers: [UpgradeRefusalWriter(refusals: refusals)]),
                ws: .init(
                    maxFrameSize: configuration.maxMessageBytes,
                    // The hub pings idle sockets itself, from one loop (`ChannelSocket.keepAlive`), instead
                    // of a ping task per socket.
                    autoPing: .disabled,
                    closeTimeout: .seconds(5)
                )
            )
        )
        : .http1()
    if let certificate = configuration.tlsCertificate, let key = configuration.tlsKey {
        server = try .tls(server, tlsConfiguration: try tlsConfiguration(certificate: certificate, key: key))
    }
    return Application(
        router: router,
        server: server,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "crow-calls"
        ),
        services: [
            LedgerService(store: store, logger: logger),
            LedgerFeedService(store: store, interval: .milliseconds(250), logger: logger),
            SignalingService(hub: hub, store: store, tick: configuration.signalingTick, logger: logger),
            InviteOutbox(store: store, owners: owners, directory: relays, publisher: RelayPublisher(logger: logger), logger: logger),
            AnswerSender(
                queue: answerQueue,
                identity: identity,
                owners: owners,
                directory: relays,
                publisher: RelayPublisher(logger: logger),
                logger: logger,
                allowTailnet: { panel.isOnTailnet }
            ),
            RoomEndNotifier(store: store, answers: answerQueue, logger: logger),
            NotificationDispatcher(store: store, owners: owners, sender: notifier, panel: panel, metrics: metrics, logger: logger),
            RelaySubscriber(
                directory: relays,
                identity: identity.publicKey,
                inbox: inviteInbox,
                owners: owners,
                health: relayHealth,
                logger: logger
            ),
        ],
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            panel.setListening(ownerBaseURL(configuration: configuration, port: port))
            await onServerRunning(port)
            // First start with no owner: a one-time link to set the password, for the terminal only.
            do {
                let base = ownerBaseURL(configuration: configuration, port: port)
                if let url = try await ownerSetupURL(owners: owners, baseURL: base) {
                    await onSetupURL(url)
                } else {
                    await onOwnerReady(base + "/login")
                }
            } catch {
                logger.error("could not prepare the owner setup link", metadata: ["error": "\(error)"])
            }
        },
        logger: logger
    )
}

/// Opens the ledger file with the calls domain's rules from `configuration` (the gateway and
/// `crow-calls mcp` share it). The owner's records use the same `EventStore`.
func openCallStore(_ configuration: GatewayConfiguration) throws -> (EventStore, CallStore) {
    let ledger = try CallStore.openLedger(LedgerConfiguration(path: configuration.ledgerPath, synchronous: configuration.synchronous))
    let store = CallStore(
        ledger: ledger,
        settings: CallSettings(
            peerLimit: configuration.maxPeers,
            tokenTTL: configuration.tokenTTL,
            ringWindow: configuration.ringWindow,
            clock: configuration.clock
        )
    )
    return (ledger, store)
}

/// Who push services may contact about this sender (RFC 8292 `sub`): the gateway's https URL when it
/// has one, else a mailto on the local host (accepted by the push services; set `CROW_VAPID_SUBJECT` to
/// a real address for a public gateway).
func vapidSubject(_ configuration: GatewayConfiguration) -> String {
    if let url = configuration.gatewayURL, url.lowercased().hasPrefix("https://") { return url }
    return "mailto:owner@crow-calls.localhost"
}

/// TLS from PEM files; a file that does not parse stops the start with a message naming it.
func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
    let chain: [NIOSSLCertificate]
    let privateKey: NIOSSLPrivateKey
    do {
        chain = try NIOSSLCertificate.fromPEMFile(certificate)
    } catch {
        throw ConfigurationError(setting: "tls-cert", value: certificate, reason: "is not a PEM certificate")
    }
    do {
        privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
    } catch {
        throw ConfigurationError(setting: "tls-key", value: key, reason: "is not a PEM private key")
    }
    return TLSConfiguration.makeServerConfiguration(
        certificateChain: chain.map { .certificate($0) },
        privateKey: .privateKey(privateKey)
    )
}
