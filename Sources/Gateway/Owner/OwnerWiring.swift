import CallStore
import Hummingbird

/// Mounts owner authentication on the router: the middleware that recognises owner credentials, and
/// the setup, login and logout routes. Called once by `buildApplication`, before the other routes, so
/// the middleware covers them (Hummingbird applies router middleware to routes added after it).
func addOwnerRoutes(to router: Router<GatewayContext>, store: CallStore, configuration: GatewayConfiguration) {
    let origins = OwnerOriginPolicy(configuration: configuration)
    router.add(middleware: OwnerAuthMiddleware(store: store, origins: origins))
    OwnerRoutes(
        store: store,
        origins: origins,
        throttle: LoginThrottle(limit: configuration.loginAttempts, window: configuration.loginWindow, clock: store.settings.clock),
        hasher: OwnerPasswordHasher(),
        sessionLifetime: configuration.sessionLifetime
    ).addRoutes(to: router)
    ContactsController(store: store).addRoutes(to: router.group("api").add(middleware: RequireOwnerMiddleware()))
}
