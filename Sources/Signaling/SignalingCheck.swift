/// The self-test socket of `/calls/check` (docs/WEB.md): `GET /calls/ws?check=1` as a WebSocket upgrade.
///
/// The self-test page has to know whether this browser, on this network, through whatever reverse proxy
/// is in front, can open the very socket the call page opens. A room token cannot be spent on that, so
/// the signaling route takes one more shape: with `check=1` and nothing else, the upgrade is accepted
/// without a room, the socket gets one message, `{"type":"check","ok":true}`, and is closed with 1000.
/// It never reads or writes the ledger and never reaches the hub. It is limited like every other
/// unauthenticated socket: it counts against the open connections per client, and each client may open
/// `AbuseGuard.Limits.checksPerIP` of them per window (429 `rate_limited` with `Retry-After` beyond).
///
/// Pure: it reads a query and names the outcome; `SignalingEndpoint` acts on it.
public enum SignalingCheck {
    /// What a query of `/calls/ws` asks for.
    public enum Request: Equatable {
        /// A participant's join or resume (`room` with `token` or `resume`).
        case join
        /// The self-test socket.
        case check
        /// `check` mixed with a room, a token or a resume secret: refused with 400 `invalid_request`.
        case malformed(String)
    }

    /// The query name that asks for the self-test socket.
    public static let parameter = "check"

    /// The one message the self-test socket sends before it closes.
    public static let answer = #"{"ok":true,"type":"check"}"#

    /// Reads a query's parameter names and values.
    public static func request(_ query: [(name: String, value: String)]) -> Request {
        guard let check = query.first(where: { $0.name == parameter }) else { return .join }
        guard check.value == "1" else { return .malformed("check must be 1") }
        if query.contains(where: { ["room", "token", "resume"].contains($0.name) }) {
            return .malformed("check takes no room, token or resume")
        }
        return .check
    }
}
