import CallStore
import Invites
import Ledger
import Logging
import Nostr
import Notify
import OwnerStore
import Projections
import PushDelivery
import Signaling

/// The gateway's parts, built once from its configuration: what the routes (`buildRouter`) and the
/// services (`services()`) share. Building them opens the ledger (applying migrations), makes the keys
/// on first start, closes the seats a crash left open (`peer.left(restart)`) and seeds signaling from
/// the live rooms.
struct GatewayComponents {
    let configuration: GatewayConfiguration
    let logger: Logger
    let store: CallStore
    let owners: OwnerStore
    let identity: NostrSecretKey
    let metrics: GatewayMetrics
    let abuse: AbuseGuard
    /// What participants are handed in their welcome, and the owner on the self-test page.
    let iceServers: IceServerProvider
    let hub: SignalingHub
    let refusals: UpgradeRefusals
    /// Incoming Nostr events, from the configured relays and from the `/nostr` endpoint.
    let inbox: InviteInbox
    let answers: AnswerSender.Queue
    /// The address other people reach the gateway at (invites, guest links, the panel in notifications).
    let panel: PublicAddress
    let suggestions: PublicAddressSuggestions
    /// Web Push and ntfy, for when no page is open (docs/NOTIFICATIONS.md).
    let notifier: NotificationSender
    /// The gateway's own relays: the configured ones and those the owner saved in the panel.
    let relays: RelayDirectory
    let relayHealth: RelayHealth

    static func make(_ configuration: GatewayConfiguration, logger: Logger) async throws -> GatewayComponents {
        let storage = try GatewayStorage.open(configuration)
        let store = storage.store
        let owners = storage.owners
        logger.info(
            "opened the ledger",
            metadata: [
                "synchronous": "\(configuration.synchronous.rawValue)",
                "sqlite_threading": "\(SQLiteThreading.modeName)",
            ]
        )
        if storage.identityCreated {
            logger.notice("created the gateway's Nostr identity", metadata: ["npub": "\(storage.identity.publicKey.npub)"])
        }
        let vapid = try vapidKey(configuration)
        let recovered = try await store.recoverAfterRestart()
        if recovered > 0 {
            logger.notice("closed seats left open by an unclean stop", metadata: ["peers": "\(recovered)"])
        }
        let metrics = GatewayMetrics(store: store)
        var limits = AbuseGuard.Limits()
        limits.connectionsPerIP = configuration.connectionsPerIP
        limits.failuresPerIP = configuration.failedJoinsPerIP
        limits.messagesPerSecond = configuration.messagesPerSecond
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
        await hub.start(try await SignalingSnapshot.read(from: store))
        let perMinute = configuration.contactInvitesPerMinute
        let relays = RelayDirectory(
            configured: configuration.enabled ? configuration.nostrRelays : [],
            saved: configuration.enabled ? try await owners.savedRelays() : []
        )
        return GatewayComponents(
            configuration: configuration,
            logger: logger,
            store: store,
            owners: owners,
            identity: storage.identity,
            metrics: metrics,
            abuse: AbuseGuard(limits: limits),
            iceServers: iceServers,
            hub: hub,
            refusals: UpgradeRefusals(),
            inbox: InviteInbox(
                store: store, owners: owners, identity: storage.identity, metrics: metrics, logger: logger,
                senderBudget: SenderBudget(rate: Double(perMinute) / 60, burst: Double(perMinute))
            ),
            answers: AnswerSender.Queue(),
            panel: PublicAddress(
                configured: configuration.gatewayURL,
                saved: try await owners.savedPublicAddress(),
                listening: ownerBaseURL(configuration: configuration, port: configuration.port)
            ),
            suggestions: PublicAddressSuggestions(configuration: configuration, logger: logger),
            notifier: NotificationSender(
                vapid: vapid,
                subject: configuration.vapidSubject ?? vapidSubject(configuration),
                ntfyURL: configuration.ntfyURL,
                ntfyToken: configuration.ntfyToken,
                timeout: configuration.notificationTimeout
            ),
            relays: relays,
            relayHealth: RelayHealth(relays: relays.current, metrics: metrics)
        )
    }

    /// The Web Push (VAPID) key: given, or made on first start beside the ledger.
    static func vapidKey(_ configuration: GatewayConfiguration) throws -> VapidKey {
        if let given = configuration.vapidPrivateKey, let key = VapidKey(privateKey: given) { return key }
        do {
            return try VapidKey.loadOrCreate(at: configuration.vapidKeyPath).key
        } catch {
            throw ConfigurationError(setting: "CROW_VAPID_KEY_FILE", value: configuration.vapidKeyPath, reason: error.reason)
        }
    }
}

/// Who push services may contact about this sender (RFC 8292 `sub`): the gateway's https URL when it
/// has one, else a mailto on the local host (accepted by the push services; set `CROW_VAPID_SUBJECT` to
/// a real address for a public gateway).
func vapidSubject(_ configuration: GatewayConfiguration) -> String {
    if let url = configuration.gatewayURL, url.lowercased().hasPrefix("https://") { return url }
    return "mailto:owner@crow-calls.localhost"
}
