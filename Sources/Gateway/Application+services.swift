import Invites
import PushDelivery
import ServiceLifecycle
import Signaling

extension GatewayComponents {
    /// The long-running parts, in the order the service group starts them (and the reverse of the
    /// order it stops them): the ledger first and last, its feed, then everything that follows it.
    func services() -> [any Service] {
        let panel = self.panel
        // One set of kept-open relay connections for invites and answers (those to the gateway's own
        // relays open from the start); stopped after both.
        let links =
            configuration.relayKeepOpenSeconds > 0
            ? RelayLinks(keepOpen: .seconds(configuration.relayKeepOpenSeconds), directory: relays, logger: logger) : nil
        let publisher = RelayPublisher(logger: logger, links: links)
        return [
            LedgerService(store: store, logger: logger),
            LedgerFeedService(
                store: store, ledgerPath: configuration.ledgerPath, watch: configuration.ledgerWatch, backstop: .milliseconds(250), logger: logger
            ),
            SignalingService(hub: hub, store: store, tick: configuration.signalingTick, logger: logger),
        ] + (links.map { [$0] } ?? []) + [
            InviteOutbox(store: store, owners: owners, directory: relays, publisher: publisher, logger: logger),
            AnswerSender(
                queue: answers,
                identity: identity,
                owners: owners,
                directory: relays,
                publisher: publisher,
                logger: logger,
                allowTailnet: { panel.isOnTailnet }
            ),
            RoomEndNotifier(store: store, answers: answers, logger: logger),
            NotificationDispatcher(
                store: store, owners: owners, sender: notifier, panelURL: { panel.panelURL }, metrics: metrics, logger: logger
            ),
            RelaySubscriber(
                directory: relays,
                identity: identity.publicKey,
                inbox: inbox,
                owners: owners,
                health: relayHealth,
                logger: logger
            ),
        ]
    }
}
