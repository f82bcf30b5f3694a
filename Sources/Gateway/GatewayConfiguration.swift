import Foundation
import Invites
import Notify
public import Ledger
import WebAssets

/// A setting that could not be used. The message names the setting, so the operator knows what to fix.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var setting: String
    public var value: String
    public var reason: String

    public init(setting: String, value: String, reason: String) {
        self.setting = setting
        self.value = value
        self.reason = reason
    }

    public var description: String { "invalid \(setting)=\"\(value)\": \(reason)" }
}

/// Everything the gateway is configured with (docs/CONFIGURATION.md). Built from the environment, then from flags
/// (flags win), and checked as a whole before anything starts.
public struct GatewayConfiguration: Sendable {
    public var enabled = true
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 8444
    public var dataDirectory = "./data"
    /// Public base URL used in invite links; defaults to the listening address.
    public var gatewayURL: String?
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var maxPeers = 4
    /// Milliseconds.
    public var tokenTTL: Int64 = 86_400_000
    /// Milliseconds.
    public var ringWindow: Int64 = 60_000
    public var synchronous: SynchronousMode = .full
    /// How long an owner session (the login cookie) lasts, in milliseconds (`CROW_CALLS_SESSION_TTL` in seconds, 30 days).
    public var sessionLifetime: Int64 = 2_592_000_000
    /// Failed owner logins allowed per client IP within `loginWindow` (`CROW_CALLS_LOGIN_ATTEMPTS`, 5).
    public var loginAttempts = 5
    /// Milliseconds (`CROW_CALLS_LOGIN_WINDOW` in seconds, 15 min).
    public var loginWindow: Int64 = 900_000
    /// How long a dropped participant keeps their seat for a resume, in milliseconds (20 s).
    public var resumeGrace: Int64 = 20_000
    /// How long an empty room stays open before it ends, in milliseconds (2 min).
    public var emptyRoomGrace: Int64 = 120_000
    /// `CROW_STUN_URLS`, comma separated. None by default.
    public var stunURLs: [String] = []
    /// `CROW_TURN_URLS` (or Crow's `WEBRTC_TURN_URL`), comma separated.
    public var turnURLs: [String] = []
    /// `CROW_TURN_SECRET` (or Crow's `TURN_SECRET`): coturn's static-auth-secret.
    public var turnSecret: String?
    /// `CROW_CALLS_DEBUG`: the call page exposes its live objects as `window.crowCall` (for the browser
    /// tests and for debugging in the console). Off by default: they hold the seat's resume secret.
    public var debugHooks = false
    /// `CROW_TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` count
    /// (addresses or CIDR ranges). None by default.
    public var trustedProxies = TrustedProxies.none
    /// Largest signaling message, in bytes (64 KiB); larger ones close the socket with 1009.
    public var maxMessageBytes = 65_536
    /// Open signaling sockets per client IP (`CROW_CALLS_MAX_CONNECTIONS_PER_IP`, 32).
    public var connectionsPerIP = 32
    /// Failed token attempts per IP per minute before joins from it get 429 (10).
    public var failedJoinsPerIP = 10
    /// Messages per second per socket (50), with bursts up to 200.
    public var messagesPerSecond: Double = 50
    /// Messages written to one signaling socket and not yet read by its peer; a socket whose peer falls
    /// this far behind is closed (256). Not an environment setting: tests lower it.
    public var socketQueue = 256
    /// A signaling socket the gateway has heard nothing from for this long (any frame counts: a message,
    /// a ping, a pong) gets a WebSocket ping; one still silent this long after the ping is closed with
    /// 1001 `Ping timeout`. Milliseconds (30 s). Not an environment setting: tests lower it.
    public var pingInterval: Int64 = 30_000
    /// How often the live stream of incoming calls sends a comment when nothing else happens (15 s).
    public var streamHeartbeat: Duration = .seconds(15)
    /// Live streams open at once (2048); more get 429.
    public var maxStreams = 2048
    /// How often, at most, owner credentials recognised from memory look at the ledger file for commits
    /// by other processes (1 ms): `crow-calls api-token revoke` applies within this long of its commit.
    /// A sign-out, or any other write of the owner's records through the gateway itself, applies at once
    /// whatever this is. Not an environment setting: tests of another process's revocation set it to zero, so
    /// that their outcome does not depend on how fast the test runs.
    public var credentialFileCheck: Duration = .milliseconds(1)
    /// How often the ledger file is looked at for appends by other processes (`crow-calls mcp`,
    /// `crow-ledger`), which then reach the live stream, the bell and the invite outbox (50 ms; the
    /// file's head is also read every 250 ms whatever the look finds). Each look wakes the process:
    /// 10 ms measured 1.4% of a core for an idle gateway, 50 ms 0.6%. Not an environment setting.
    public var ledgerWatch: Duration = .milliseconds(50)
    /// The scrypt cost of new owner password hashes: `standard` (2^15, r 8, p 1). Not a setting; tests
    /// whose subject is not the password lower it, so that the one KDF thread of a test process, shared
    /// by dozens of sign-ins, does not hold some of them past their client's timeout on a busy machine.
    var ownerPasswordCost = OwnerPasswordHasher.Cost.standard

    /// Invites each contact may ring the owner with per minute, and at once (`CROW_NOSTR_CONTACT_INVITES`,
    /// 6); more are dropped as `sender_rate_limited`.
    public var contactInvitesPerMinute = 6
    /// How long a connection to a relay that carried an invite or an answer stays open for the next one
    /// (`CROW_NOSTR_RELAY_KEEP_OPEN`, seconds, 300; the gateway's own relays keep theirs while listed);
    /// 0 connects for every publish, as before. A kept connection saves the connect, TLS and upgrade
    /// round trips in front of every later publish.
    public var relayKeepOpenSeconds = 300
    /// How often signaling checks grace periods; shorter in tests.
    public var signalingTick: Duration = .seconds(1)
    /// The wall clock, in unix milliseconds, for everything the gateway decides by time: token and
    /// session lifetimes, graces, ring windows, keep-alive. Not an environment setting: tests give a
    /// clock that moves only when told to, so an outcome that depends on time does not depend on how
    /// busy the machine is.
    public var clock: @Sendable () -> Int64 = LedgerClock.systemMilliseconds
    /// Extra call modes offered on the call page (`CROW_CALLS_MODES`, comma separated): built-in names
    /// (`test-canvas`) or `<name>.js` files in `callModesDirectory`. None by default.
    public var callModes: [String] = []
    /// `CROW_CALLS_MODES_DIR`: a folder of mode modules, read once at start.
    public var callModesDirectory: String?
    /// `CROW_NOSTR_RELAYS`: relays every invite is published to (besides the contact's own), and that
    /// the gateway listens on. Comma-separated `ws://`/`wss://` URLs.
    public var nostrRelays: [String] = []
    /// `CROW_NOSTR_KEY_FILE`: the gateway's Nostr key. Default `<data>/nostr.key`, made on first start.
    public var nostrKeyFile: String?
    /// How often open pages poll the bell, in seconds (`CROW_CALLS_BELL_INTERVAL`, 60). The live stream
    /// is the fast path; the poll is the fallback when a proxy blocks the stream.
    public var bellPollInterval = 60

    /// `CROW_NTFY_URL` (or Crow's `NTFY_URL` plus `NTFY_TOPIC`): the ntfy topic URL incoming calls are
    /// published to, e.g. `https://ntfy.example.net/calls`. None by default.
    public var ntfyURL: String?
    /// `CROW_NTFY_TOKEN` (or `NTFY_TOKEN`): an ntfy access token, sent as a Bearer token.
    public var ntfyToken: String?
    /// `CROW_VAPID_KEY_FILE`: the Web Push (VAPID) key. Default `<data>/vapid.key`, made on first start.
    public var vapidKeyFile: String?
    /// `CROW_VAPID_PRIVATE_KEY` (or `VAPID_PRIVATE_KEY`): a VAPID key given directly (32 bytes,
    /// base64url, as web-push tools print it); takes the place of the key file.
    public var vapidPrivateKey: String?
    /// `CROW_VAPID_SUBJECT` (or `VAPID_SUBJECT`): who push services contact about this sender, a
    /// `mailto:` or `https:` URL. Default: the gateway URL when it is https, else a local mailto.
    public var vapidSubject: String?
    /// How long one push or ntfy request may take (5 s). Not an environment setting.
    public var notificationTimeout: Duration = .seconds(5)

    public init() {}

    /// Where the gateway's VAPID key lives.
    public var vapidKeyPath: String { vapidKeyFile ?? (dataDirectory as NSString).appendingPathComponent("vapid.key") }

    public var ledgerPath: String { (dataDirectory as NSString).appendingPathComponent("ledger.sqlite") }

    /// Where the gateway's Nostr key lives.
    public var nostrKeyPath: String { nostrKeyFile ?? (dataDirectory as NSString).appendingPathComponent("nostr.key") }

    /// Reads the environment variables listed in docs/CONFIGURATION.md.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        if let raw = value("CROW_CALLS_ENABLED") {
            switch raw.lowercased() {
            case "1", "true", "yes", "on": configuration.enabled = true
            case "0", "false", "no", "off": configuration.enabled = false
            default: throw ConfigurationError(setting: "CROW_CALLS_ENABLED", value: raw, reason: "use 1 or 0")
            }
        }
        if let raw = value("CROW_CALLS_DEBUG") {
            switch raw.lowercased() {
            case "1", "true", "yes", "on": configuration.debugHooks = true
            case "0", "false", "no", "off": configuration.debugHooks = false
            default: throw ConfigurationError(setting: "CROW_CALLS_DEBUG", value: raw, reason: "use 1 or 0")
            }
        }
        if let raw = value("CROW_CALLS_HOST") { configuration.host = raw }
        if let raw = value("CROW_CALLS_PORT") {
            configuration.port = try parsePort(raw, setting: "CROW_CALLS_PORT")
        }
        if let raw = value("CROW_CALLS_DATA") { configuration.dataDirectory = raw }
        if let raw = value("CROW_GATEWAY_URL") { configuration.gatewayURL = raw }
        if let raw = value("CROW_CALLS_TLS_CERT") { configuration.tlsCertificate = raw }
        if let raw = value("CROW_CALLS_TLS_KEY") { configuration.tlsKey = raw }
        if let raw = value("CROW_CALLS_MAX_PEERS") {
            configuration.maxPeers = try parseInt(raw, setting: "CROW_CALLS_MAX_PEERS", range: 2...16)
        }
        if let raw = value("CROW_CALLS_TOKEN_TTL") {
            configuration.tokenTTL = Int64(try parseInt(raw, setting: "CROW_CALLS_TOKEN_TTL", range: 60...31_536_000)) * 1000
        }
        if let raw = value("CROW_CALLS_RING_WINDOW") {
            configuration.ringWindow = Int64(try parseInt(raw, setting: "CROW_CALLS_RING_WINDOW", range: 5...3600)) * 1000
        }
        if let raw = value("CROW_CALLS_RESUME_GRACE") {
            configuration.resumeGrace = Int64(try parseInt(raw, setting: "CROW_CALLS_RESUME_GRACE", range: 0...600)) * 1000
        }
        if let raw = value("CROW_STUN_URLS") {
            configuration.stunURLs = try parseICEURLs(raw, setting: "CROW_STUN_URLS", schemes: ["stun", "stuns"])
        }
        if let raw = value("CROW_TURN_URLS") ?? value("WEBRTC_TURN_URL") {
            let setting = value("CROW_TURN_URLS") != nil ? "CROW_TURN_URLS" : "WEBRTC_TURN_URL"
            configuration.turnURLs = try parseICEURLs(raw, setting: setting, schemes: ["turn", "turns"])
        }
        configuration.turnSecret = value("CROW_TURN_SECRET") ?? value("TURN_SECRET")
        if let raw = value("CROW_TRUSTED_PROXIES") {
            switch TrustedProxies.parse(raw) {
            case .success(let proxies): configuration.trustedProxies = proxies
            case .failure(let error): throw ConfigurationError(setting: "CROW_TRUSTED_PROXIES", value: raw, reason: error.reason)
            }
        }
        if let raw = value("CROW_CALLS_MAX_CONNECTIONS_PER_IP") {
            configuration.connectionsPerIP = try parseInt(raw, setting: "CROW_CALLS_MAX_CONNECTIONS_PER_IP", range: 1...10_000)
        }
        if let raw = value("CROW_CALLS_SESSION_TTL") {
            configuration.sessionLifetime = Int64(try parseInt(raw, setting: "CROW_CALLS_SESSION_TTL", range: 300...31_536_000)) * 1000
        }
        if let raw = value("CROW_CALLS_LOGIN_ATTEMPTS") {
            configuration.loginAttempts = try parseInt(raw, setting: "CROW_CALLS_LOGIN_ATTEMPTS", range: 1...1000)
        }
        if let raw = value("CROW_CALLS_LOGIN_WINDOW") {
            configuration.loginWindow = Int64(try parseInt(raw, setting: "CROW_CALLS_LOGIN_WINDOW", range: 1...86_400)) * 1000
        }
        if let raw = value("CROW_CALLS_MODES") {
            configuration.callModes = list(raw)
        }
        if let raw = value("CROW_CALLS_MODES_DIR") { configuration.callModesDirectory = raw }
        if let raw = value("CROW_NOSTR_KEY_FILE") { configuration.nostrKeyFile = raw }
        if let raw = value("CROW_NOSTR_RELAYS") {
            configuration.nostrRelays = list(raw)
        }
        if let raw = value("CROW_NTFY_URL") {
            configuration.ntfyURL = raw
        } else if let server = value("NTFY_URL") {
            // Crow's pair: a server and a topic.
            let base = server.hasSuffix("/") ? String(server.dropLast()) : server
            configuration.ntfyURL = value("NTFY_TOPIC").map { "\(base)/\($0)" } ?? base
        }
        configuration.ntfyToken = value("CROW_NTFY_TOKEN") ?? value("NTFY_TOKEN")
        if let raw = value("CROW_VAPID_KEY_FILE") { configuration.vapidKeyFile = raw }
        configuration.vapidPrivateKey = value("CROW_VAPID_PRIVATE_KEY") ?? value("VAPID_PRIVATE_KEY")
        configuration.vapidSubject = value("CROW_VAPID_SUBJECT") ?? value("VAPID_SUBJECT")
        if let raw = value("CROW_NOSTR_CONTACT_INVITES") {
            configuration.contactInvitesPerMinute = try parseInt(raw, setting: "CROW_NOSTR_CONTACT_INVITES", range: 1...6000)
        }
        if let raw = value("CROW_NOSTR_RELAY_KEEP_OPEN") {
            configuration.relayKeepOpenSeconds = try parseInt(raw, setting: "CROW_NOSTR_RELAY_KEEP_OPEN", range: 0...3600)
        }
        if let raw = value("CROW_CALLS_BELL_INTERVAL") {
            configuration.bellPollInterval = try parseInt(raw, setting: "CROW_CALLS_BELL_INTERVAL", range: 1...3600)
        }
        if let raw = value("CROW_CALLS_SYNCHRONOUS") {
            guard let mode = SynchronousMode(rawValue: raw.uppercased()) else {
                throw ConfigurationError(setting: "CROW_CALLS_SYNCHRONOUS", value: raw, reason: "use FULL or NORMAL")
            }
            configuration.synchronous = mode
        }
        return configuration
    }

    /// Checks the combination of settings.
    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else {
            throw ConfigurationError(setting: "port", value: "\(port)", reason: "must be 0 to 65535")
        }
        guard !host.isEmpty else { throw ConfigurationError(setting: "host", value: host, reason: "must not be empty") }
        guard !dataDirectory.isEmpty else {
            throw ConfigurationError(setting: "data directory", value: dataDirectory, reason: "must not be empty")
        }
        guard (2...16).contains(maxPeers) else {
            throw ConfigurationError(setting: "CROW_CALLS_MAX_PEERS", value: "\(maxPeers)", reason: "must be 2 to 16")
        }
        if (tlsCertificate == nil) != (tlsKey == nil) {
            throw ConfigurationError(
                setting: tlsCertificate == nil ? "tls-cert" : "tls-key",
                value: "",
                reason: "a TLS certificate and key are given together"
            )
        }
        for path in [tlsCertificate, tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw ConfigurationError(setting: "TLS file", value: path, reason: "cannot be read")
        }
        guard (8...65_536).contains(socketQueue) else {
            throw ConfigurationError(setting: "socket queue", value: "\(socketQueue)", reason: "must be 8 to 65536")
        }
        if !turnURLs.isEmpty && (turnSecret ?? "").isEmpty {
            throw ConfigurationError(setting: "CROW_TURN_SECRET", value: "", reason: "TURN URLs need the TURN secret")
        }
        guard (1...3600).contains(bellPollInterval) else {
            throw ConfigurationError(setting: "CROW_CALLS_BELL_INTERVAL", value: "\(bellPollInterval)", reason: "must be 1 to 3600")
        }
        if let ntfyURL {
            guard let url = URLComponents(string: ntfyURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host?.isEmpty == false, url.path.count > 1, url.user == nil, ntfyURL.utf8.count <= 512
            else {
                throw ConfigurationError(setting: "CROW_NTFY_URL", value: ntfyURL, reason: "use the topic's http(s) URL, e.g. https://ntfy.example.net/calls")
            }
        }
        if let vapidPrivateKey, VapidKey(privateKey: vapidPrivateKey) == nil {
            throw ConfigurationError(setting: "CROW_VAPID_PRIVATE_KEY", value: "(hidden)", reason: "is not a P-256 private key (32 bytes, base64url)")
        }
        if let vapidSubject {
            let lower = vapidSubject.lowercased()
            guard (lower.hasPrefix("mailto:") || lower.hasPrefix("https://")), vapidSubject.utf8.count <= 256 else {
                throw ConfigurationError(setting: "CROW_VAPID_SUBJECT", value: vapidSubject, reason: "use a mailto: or https:// URL")
            }
        }
        for relay in nostrRelays where !RelayPublisher.isRelayURL(relay) {
            throw ConfigurationError(setting: "CROW_NOSTR_RELAYS", value: relay, reason: "use ws:// or wss:// URLs")
        }
        for name in callModes {
            guard CallModeName.isValid(name) else {
                throw ConfigurationError(setting: "CROW_CALLS_MODES", value: name, reason: "a mode name is 1 to 40 of a-z, 0-9 and -")
            }
            guard WebAssets.builtInModes[name] != nil || callModesDirectory.map({ CallModeName.file(name, in: $0) }).map({
                FileManager.default.isReadableFile(atPath: $0)
            }) == true else {
                throw ConfigurationError(
                    setting: "CROW_CALLS_MODES",
                    value: name,
                    reason: "is neither built in (\(WebAssets.builtInModes.keys.sorted().joined(separator: ", "))) nor a readable <name>.js in CROW_CALLS_MODES_DIR"
                )
            }
        }
        if let gatewayURL {
            guard let url = URL(string: gatewayURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host != nil
            else {
                throw ConfigurationError(setting: "CROW_GATEWAY_URL", value: gatewayURL, reason: "must be an http(s) URL")
            }
        }
    }

    /// A comma-separated list of `stun:`/`turn:` URLs (RFC 7064/7065 form, e.g. `turn:turn.example.net:3478?transport=udp`).
    static func parseICEURLs(_ raw: String, setting: String, schemes: Set<String>) throws(ConfigurationError) -> [String] {
        let urls = list(raw)
        for url in urls {
            let scheme = url.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
            guard schemes.contains(scheme), url.count > scheme.count + 1, url.count <= 512,
                !url.contains(where: { $0.isWhitespace || $0.isNewline })
            else {
                throw ConfigurationError(setting: setting, value: url, reason: "use \(schemes.sorted().joined(separator: " or ")): URLs")
            }
        }
        return urls
    }

    /// A comma-separated setting: items trimmed, empty ones left out.
    static func list(_ raw: String) -> [String] {
        raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func parsePort(_ raw: String, setting: String) throws(ConfigurationError) -> Int {
        try parseInt(raw, setting: setting, range: 0...65535)
    }

    static func parseInt(_ raw: String, setting: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(raw) else {
            throw ConfigurationError(setting: setting, value: raw, reason: "must be a whole number")
        }
        guard range.contains(value) else {
            throw ConfigurationError(setting: setting, value: raw, reason: "must be \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
