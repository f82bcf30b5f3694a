import Invites
import OwnerStore
import CallStore
import Hummingbird
import Nostr

/// Mounts owner authentication on the router: the middleware that recognises owner credentials, and
/// the setup, login and logout routes. Called once by `buildApplication`, before the other routes, so
/// the middleware covers them (Hummingbird applies router middleware to routes added after it).
/// Returns the credential check, for responses that must check their credential again while they last.
@discardableResult
func addOwnerRoutes(
    to router: Router<GatewayContext>,
    owners: OwnerStore,
    identity: NostrPublicKey,
    clock: @escaping @Sendable () -> Int64,
    configuration: GatewayConfiguration,
    address: PublicAddress,
    suggestions: PublicAddressSuggestions
) -> OwnerCredentialCheck {
    let origins = OwnerOriginPolicy(configuration: configuration)
    let credentials = OwnerCredentialCache(
        ledgerPath: configuration.ledgerPath,
        localWrites: { owners.recordWrites },
        fileCheckInterval: configuration.credentialFileCheck
    )
    let check = OwnerCredentialCheck(owners: owners, cache: credentials, clock: clock)
    router.add(middleware: OwnerAuthMiddleware(credentials: check, origins: origins))
    OwnerRoutes(
        owners: owners,
        origins: origins,
        credentials: credentials,
        identity: identity,
        throttle: LoginThrottle(limit: configuration.loginAttempts, window: configuration.loginWindow, clock: clock),
        hasher: OwnerPasswordHasher(cost: configuration.ownerPasswordCost),
        sessionLifetime: configuration.sessionLifetime,
        address: address,
        suggestions: suggestions
    ).addRoutes(to: router)
    let api = router.group("api").add(middleware: RequireOwnerMiddleware())
    ContactsController(owners: owners).addRoutes(to: api)
    PublicAddressController(owners: owners, address: address, suggestions: suggestions).addRoutes(to: api)
    return check
}
