import Foundation
import OwnerStore
import Synchronization

/// The address other people reach this gateway at, which every invite and guest link carries.
///
/// `CROW_GATEWAY_URL` (or `--gateway-url`) wins, as the operator's own word, even when it names
/// loopback (two gateways on one machine, in development and tests). Otherwise it is the address the
/// owner saved in setup or in the panel, checked by `PublicAddressRule`. Without either, invites and
/// guest links are refused with `InviteRefusal.publicAddressNeeded`, rather than sent with a link to the
/// sender's own machine that the contact's gateway would accept and that could never connect.
///
/// The owner's own links (the host link of a room they start, the panel) are another matter: they
/// open in the owner's browser, so they use the address the owner is on.
public final class PublicAddress: Sendable {
    public enum Source: String, Sendable { case configured, saved }

    /// The configured address, without a trailing slash.
    public let configured: String?
    private let saved: Mutex<String?>
    /// The listening address (`ownerBaseURL`), known once the server listens.
    private let listening: Mutex<String>

    public init(configured: String?, saved: String?, listening: String) {
        self.configured = configured.map { url in
            var url = url
            while url.hasSuffix("/") { url.removeLast() }
            return url
        }
        self.saved = Mutex(saved)
        self.listening = Mutex(listening)
    }

    /// The address for links other people open, and where it comes from; nil when none is known.
    public var current: (url: String, source: Source)? {
        if let configured { return (configured, .configured) }
        return saved.withLock { $0 }.map { ($0, .saved) }
    }

    public var savedValue: String? { saved.withLock { $0 } }

    public func setSaved(_ address: String?) { saved.withLock { $0 = address } }

    public func setListening(_ base: String) { listening.withLock { $0 = base } }

    /// The base URL for a link someone else opens, or the refusal that says what to set.
    public func forOthers() throws(InviteRefusal) -> String {
        guard let current else { throw .publicAddressNeeded }
        return current.url
    }

    /// The panel (`<base>/calls`) as a notification opens it on the owner's other devices: the public
    /// address when known, otherwise the listening address.
    public var panelURL: String {
        (current?.url ?? listening.withLock { $0 }) + "/calls"
    }

    /// Whether the gateway's own address is inside a Tailscale tailnet (then tailnet hosts are
    /// reachable neighbours, not private ones).
    public var isOnTailnet: Bool {
        guard let host = current.flatMap({ URLComponents(string: $0.url)?.host?.lowercased() }) else { return false }
        return PublicAddressRule.isTailnet(host)
    }
}
