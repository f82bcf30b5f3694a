public import OwnerStore

/// The first-run setup link: `<base>/setup?token=<secret>`, or nil when the owner password is already set.
///
/// Each call draws a new one-time secret and forgets the previous one, so call it once per start and
/// print the result (to the terminal, never to the access log: it is a credential until it is used).
public func ownerSetupURL(owners: OwnerStore, baseURL: String) async throws -> String? {
    guard let secret = try await owners.replaceOwnerSetupSecret() else { return nil }
    var base = baseURL
    while base.hasSuffix("/") { base.removeLast() }
    return "\(base)/setup?token=\(secret)"
}

/// The base URL the owner reaches this gateway at: `gatewayURL` when configured, otherwise the listening
/// address (a wildcard host becomes 127.0.0.1), with `https` under TLS.
public func ownerBaseURL(configuration: GatewayConfiguration, port: Int) -> String {
    if let gatewayURL = configuration.gatewayURL { return gatewayURL }
    var host = configuration.host
    if host == "0.0.0.0" || host.isEmpty { host = "127.0.0.1" }
    if host == "::" { host = "::1" }
    if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
    return "\(configuration.tlsCertificate != nil ? "https" : "http")://\(host):\(port)"
}
