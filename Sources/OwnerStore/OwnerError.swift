/// Why an owner operation was refused. `code` is stable (it becomes the API's error code).
public enum OwnerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The setup secret is unknown, already used, or replaced by a newer start.
    case setupSecretInvalid
    /// The owner password is already set: setup happens once.
    case ownerExists
    case contactNotFound
    /// Another contact already has this public key.
    case contactExists
    case invalidContact(String)
    /// The gateway's own relay list was refused (the message says why).
    case invalidRelays(String)
    /// The public address was refused by `PublicAddressRule` (the message says why, in plain words).
    case invalidPublicAddress(String)
    case storage(String)

    public var code: String {
        switch self {
        case .setupSecretInvalid: return "setup_link_invalid"
        case .ownerExists: return "owner_exists"
        case .contactNotFound: return "not_found"
        case .contactExists: return "contact_exists"
        case .invalidContact, .invalidRelays: return "invalid_request"
        case .invalidPublicAddress: return "invalid_public_address"
        case .storage: return "storage_error"
        }
    }

    public var description: String {
        switch self {
        case .setupSecretInvalid: return "this setup link is not valid (already used, or replaced by a newer start)"
        case .ownerExists: return "the owner password is already set"
        case .contactNotFound: return "no such contact"
        case .contactExists: return "a contact with this public key already exists"
        case .invalidContact(let message), .invalidRelays(let message), .invalidPublicAddress(let message): return message
        case .storage(let message): return "storage error: \(message)"
        }
    }
}
