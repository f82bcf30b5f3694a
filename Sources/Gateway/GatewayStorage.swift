public import CallStore
import Ledger
public import Nostr
public import OwnerStore

/// What the gateway keeps on disk, opened from its configuration: the ledger file with the calls
/// domain's rules, the owner's records beside the events, and the gateway's Nostr identity (made on
/// first start). `crow-calls serve` and `crow-calls mcp` open the same data directory this one way.
public struct GatewayStorage: Sendable {
    public let store: CallStore
    public let owners: OwnerStore
    public let identity: NostrSecretKey
    /// Whether this start made the identity (the gateway logs its npub once).
    public let identityCreated: Bool

    public static func open(_ configuration: GatewayConfiguration) throws -> GatewayStorage {
        let (ledger, store) = try openCallStore(configuration)
        let loaded: (key: NostrSecretKey, created: Bool)
        do {
            loaded = try NostrIdentity.loadOrCreate(at: configuration.nostrKeyPath)
        } catch {
            try? store.close()
            throw ConfigurationError(setting: "CROW_NOSTR_KEY_FILE", value: configuration.nostrKeyPath, reason: error.reason)
        }
        return GatewayStorage(
            store: store,
            owners: OwnerStore(ledger: ledger, clock: configuration.clock),
            identity: loaded.key,
            identityCreated: loaded.created
        )
    }
}
