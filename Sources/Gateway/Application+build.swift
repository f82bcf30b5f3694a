import CallStore
public import Hummingbird
import Ledger
public import Logging
import Prometheus

/// The composition root: everything the gateway runs is built here, for `crow-calls serve` and for tests.
///
/// It opens the ledger (applying migrations), closes the seats of anyone left marked present by a crash
/// (`peer.left(restart)`), and mounts the routes.
public func buildApplication(
    _ configuration: GatewayConfiguration,
    logger: Logger = Logger(label: "crow-calls"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try configuration.validate()
    let store = try CallStore(
        ledger: LedgerConfiguration(path: configuration.ledgerPath, synchronous: configuration.synchronous),
        settings: CallSettings(
            peerLimit: configuration.maxPeers,
            tokenTTL: configuration.tokenTTL,
            ringWindow: configuration.ringWindow,
            clock: LedgerClock.systemMilliseconds
        )
    )
    let recovered = try await store.recoverAfterRestart()
    if recovered > 0 {
        logger.notice("closed seats left open by an unclean stop", metadata: ["peers": "\(recovered)"])
    }
    let metrics = GatewayMetrics(store: store)
    let router = Router()
    router.add(middleware: LogRequestsMiddleware(.debug))
    HealthController(store: store, metrics: metrics).addRoutes(to: router)
    return Application(
        router: router,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "crow-calls"
        ),
        services: [LedgerService(store: store, logger: logger)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}
