import Foundation
public import Ledger

/// What a participant announces about their media. A new seat starts as the call page starts a call:
/// microphone on, camera off, no screen, so a late joiner never shows a camera tile that has no video.
public struct MediaState: Sendable, Hashable, Codable {
    public var audio: Bool
    public var video: Bool
    public var screen: Bool

    public init(audio: Bool = true, video: Bool = false, screen: Bool = false) {
        self.audio = audio
        self.video = video
        self.screen = screen
    }
}

/// A message from a participant (docs/SIGNALING.md). Anything else is answered with an `error`.
public enum ClientMessage: Sendable, Hashable {
    /// `{"type":"signal","to":"<peer>","data":{"description":...}|{"candidate":...}}`
    case signal(to: String, data: JSONValue)
    /// `{"type":"state","audio":true,"video":false,"screen":false,"name":"..."}`; fields optional.
    case state(audio: Bool?, video: Bool?, screen: Bool?, name: String?)
    case leave
    case ping

    /// Why a text frame is not a message this server accepts; sent back as an `error`.
    public struct Invalid: Error, Sendable, Hashable {
        public var code: String
        public var message: String
    }

    /// Parses one text frame. Never throws anything but `Invalid`.
    public static func parse(_ text: String) throws(Invalid) -> ClientMessage {
        guard let object = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)), case .object(let fields) = object
        else {
            throw Invalid(code: "invalid_json", message: "a message is one JSON object")
        }
        guard case .string(let type)? = fields["type"] else {
            throw Invalid(code: "invalid_message", message: "a message needs a string \"type\"")
        }
        switch type {
        case "signal":
            guard case .string(let to)? = fields["to"], !to.isEmpty, to.utf8.count <= 64 else {
                throw Invalid(code: "invalid_message", message: "signal needs \"to\", a peer id")
            }
            guard case .object(let data)? = fields["data"], data["description"] != nil || data["candidate"] != nil else {
                throw Invalid(code: "invalid_message", message: "signal data is {\"description\"} or {\"candidate\"}")
            }
            return .signal(to: to, data: .object(data))
        case "state":
            func flag(_ key: String) throws(Invalid) -> Bool? {
                switch fields[key] {
                case nil, .null?: return nil
                case .bool(let value)?: return value
                default: throw Invalid(code: "invalid_message", message: "state \"\(key)\" is true or false")
                }
            }
            var name: String?
            switch fields["name"] {
            case nil, .null?: name = nil
            case .string(let value)?: name = value
            default: throw Invalid(code: "invalid_message", message: "state \"name\" is a string")
            }
            return .state(audio: try flag("audio"), video: try flag("video"), screen: try flag("screen"), name: name)
        case "leave":
            return .leave
        case "ping":
            return .ping
        default:
            throw Invalid(code: "unknown_type", message: "unknown message type")
        }
    }
}

/// One participant as others see it.
public struct PeerInfo: Sendable, Hashable, Codable {
    public var peerId: String
    public var name: String
    public var audio: Bool
    public var video: Bool
    public var screen: Bool
}

/// An ICE server for `RTCPeerConnection` (`urls`, and for TURN a time-limited `username`/`credential`).
public struct IceServer: Sendable, Hashable, Codable {
    public var urls: [String]
    public var username: String?
    public var credential: String?
}

/// A message to a participant (docs/SIGNALING.md).
public enum ServerMessage: Sendable, Hashable {
    case welcome(peerId: String, resume: String, peers: [PeerInfo], maxPeers: Int, iceServers: [IceServer])
    case peerJoined(PeerInfo)
    case peerLeft(peerId: String, reason: String)
    case signal(from: String, data: JSONValue)
    case state(from: String, media: MediaState, name: String)
    case roomClosed(reason: String)
    case error(code: String, message: String)
    case pong

    /// The JSON text sent on the socket.
    public var json: String {
        let value: JSONValue
        switch self {
        case .welcome(let peerId, let resume, let peers, let maxPeers, let iceServers):
            value = .object([
                "type": .string("welcome"), "peerId": .string(peerId), "resume": .string(resume),
                "peers": .array(peers.map(Self.peer)), "maxPeers": .number(Double(maxPeers)),
                "iceServers": .array(iceServers.map(Self.ice)),
            ])
        case .peerJoined(let peer):
            var object = Self.fields(peer)
            object["type"] = .string("peer-joined")
            value = .object(object)
        case .peerLeft(let peerId, let reason):
            value = .object(["type": .string("peer-left"), "peerId": .string(peerId), "reason": .string(reason)])
        case .signal(let from, let data):
            value = .object(["type": .string("signal"), "from": .string(from), "data": data])
        case .state(let from, let media, let name):
            value = .object([
                "type": .string("state"), "from": .string(from), "audio": .bool(media.audio), "video": .bool(media.video),
                "screen": .bool(media.screen), "name": .string(name),
            ])
        case .roomClosed(let reason):
            value = .object(["type": .string("room-closed"), "reason": .string(reason)])
        case .error(let code, let message):
            value = .object(["type": .string("error"), "code": .string(code), "message": .string(message)])
        case .pong:
            value = .object(["type": .string("pong")])
        }
        return value.jsonText
    }

    private static func fields(_ peer: PeerInfo) -> [String: JSONValue] {
        [
            "peerId": .string(peer.peerId), "name": .string(peer.name), "audio": .bool(peer.audio),
            "video": .bool(peer.video), "screen": .bool(peer.screen),
        ]
    }

    private static func peer(_ peer: PeerInfo) -> JSONValue { .object(fields(peer)) }

    private static func ice(_ server: IceServer) -> JSONValue {
        var object: [String: JSONValue] = ["urls": .array(server.urls.map(JSONValue.string))]
        if let username = server.username { object["username"] = .string(username) }
        if let credential = server.credential { object["credential"] = .string(credential) }
        return .object(object)
    }
}
