/// Why an invite or a guest link for someone else cannot be made. Stable codes; the HTTP edge gives
/// each its status (`ErrorStatus`), and the MCP tools answer it as a tool error.
public enum InviteRefusal: Error, Sendable, Equatable {
    /// Neither a configured nor a saved public address: a link would open only on this computer.
    case publicAddressNeeded
    /// The contact's stored public key is not a valid Nostr key.
    case invalidContactKey

    public var code: String {
        switch self {
        case .publicAddressNeeded: return "public_address_needed"
        case .invalidContactKey: return "invalid_request"
        }
    }

    public var message: String {
        switch self {
        case .publicAddressNeeded:
            return "This gateway does not know the address other people reach it at, so a link would open only on this computer. Set the public address in the panel (Settings, Public address), or CROW_GATEWAY_URL, then try again."
        case .invalidContactKey:
            return "the contact's public key is not a valid Nostr key"
        }
    }
}
