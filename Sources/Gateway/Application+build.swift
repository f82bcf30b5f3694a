import CallStore
import Foundation
public import Hummingbird
import HummingbirdCore
import Ledger
public import Logging
import OwnerStore

/// The composition root: everything the gateway runs is built here, for `crow-calls serve` and for tests.
///
/// It builds the gateway's parts once (`GatewayComponents`), then the routes (`buildRouter`, and
/// `buildWebSocketRouter` for the upgrades), the server (`buildServer`) and the services
/// (`GatewayComponents.services`): the ledger and its feed, signaling, the invite outbox, answers,
/// call messages on room ends, the relay subscriptions and the notification dispatcher, all in the
/// application's one service group. On graceful shutdown the server closes every socket with a close
/// frame, then signaling records who left (`peer.left(shutdown)`), then the ledger is closed.
public func buildApplication(
    _ configuration: GatewayConfiguration,
    logger: Logger = Logger(label: "crow-calls"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    onSetupURL: @escaping @Sendable (String) async -> Void = { _ in },
    onOwnerReady: @escaping @Sendable (_ loginURL: String) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try configuration.validate()
    let parts = try await GatewayComponents.make(configuration, logger: logger)
    var application = Application(
        router: try buildRouter(parts),
        server: try buildServer(parts),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "crow-calls"
        ),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            await parts.serverRunning(port: port, onServerRunning: onServerRunning, onSetupURL: onSetupURL, onOwnerReady: onOwnerReady)
        },
        logger: logger
    )
    application.addServices(parts.services())
    return application
}

extension GatewayComponents {
    /// Once the server listens: the listening address is known, and on a first start with no owner the
    /// terminal is given a one-time link to set the password (otherwise the login page's address).
    func serverRunning(
        port: Int,
        onServerRunning: @Sendable (Int) async -> Void,
        onSetupURL: @Sendable (String) async -> Void,
        onOwnerReady: @Sendable (String) async -> Void
    ) async {
        let base = ownerBaseURL(configuration: configuration, port: port)
        panel.setListening(base)
        await onServerRunning(port)
        do {
            if let url = try await ownerSetupURL(owners: owners, baseURL: base) {
                await onSetupURL(url)
            } else {
                await onOwnerReady(base + "/login")
            }
        } catch {
            logger.error("could not prepare the owner setup link", metadata: ["error": "\(error)"])
        }
    }
}

/// Opens the ledger file with the calls domain's rules from `configuration`. The owner's records use
/// the same `EventStore`.
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
