import Foundation
import Ledger

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
    /// `{"type":"signal","to":"<peer>","data":{"description":...}|{"candidate":...}}`; `data` is relayed
    /// as the sender wrote it.
    case signal(to: String, data: RawJSON)
    /// `{"type":"state","audio":true,"video":false,"screen":false,"name":"..."}`; fields optional.
    case state(audio: Bool?, video: Bool?, screen: Bool?, name: String?)
    case leave
    /// `{"type":"away"}`: the page is going away (closed or reloaded). When its socket then drops, the
    /// seat is kept only for the short away grace, long enough for a reload to resume it.
    case away
    case ping

    /// Why a text frame is not a message this server accepts; sent back as an `error`.
    public struct Invalid: Error, Sendable, Hashable {
        public var code: String
        public var message: String
    }

    /// Parses one text frame. Never throws anything but `Invalid`.
    ///
    /// The frame is read in one pass by `JSONScanner`, which checks the whole of it, keeps where each
    /// field of interest is, and leaves `data` as the sender's bytes (a repeated key counts once, the last).
    public static func parse(_ text: String) throws(Invalid) -> ClientMessage {
        let bytes = Array(text.utf8)
        var fields: [String: Range<Int>] = [:]
        do {
            var scanner = JSONScanner(bytes)
            try scanner.expect(UInt8(ascii: "{"))
            if !scanner.take(UInt8(ascii: "}")) {
                repeat {
                    let key = try scanner.readKey()
                    try scanner.expect(UInt8(ascii: ":"))
                    let value = try scanner.skipValue(depth: 1)
                    if let key, Self.keys.contains(key) { fields[key] = value }
                } while scanner.take(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "}"))
            }
            scanner.skipWhitespace()
            guard scanner.atEnd else { throw JSONScanner.Failure() }
        } catch {
            throw Invalid(code: "invalid_json", message: "a message is one JSON object")
        }
        func string(_ key: String, limit: Int) -> String?? {
            guard let range = fields[key] else { return .some(nil) }
            var scanner = JSONScanner(bytes, at: range.lowerBound)
            guard bytes[range.lowerBound] == UInt8(ascii: "\""), let text = try? scanner.readString(limit: limit) else { return nil }
            return .some(text)
        }
        guard case .some(.some(let type)) = string("type", limit: 32) else {
            throw Invalid(code: "invalid_message", message: "a message needs a string \"type\"")
        }
        switch type {
        case "signal":
            guard case .some(.some(let to)) = string("to", limit: 64), !to.isEmpty else {
                throw Invalid(code: "invalid_message", message: "signal needs \"to\", a peer id")
            }
            guard let range = fields["data"], Self.objectHasKey(bytes, at: range.lowerBound, of: ["description", "candidate"]) else {
                throw Invalid(code: "invalid_message", message: "signal data is {\"description\"} or {\"candidate\"}")
            }
            return .signal(to: to, data: RawJSON(checked: String(decoding: bytes[range], as: UTF8.self)))
        case "state":
            func flag(_ key: String) throws(Invalid) -> Bool? {
                guard let range = fields[key] else { return nil }
                switch bytes[range.lowerBound] {
                case UInt8(ascii: "t"): return true
                case UInt8(ascii: "f"): return false
                case UInt8(ascii: "n"): return nil
                default: throw Invalid(code: "invalid_message", message: "state \"\(key)\" is true or false")
                }
            }
            var name: String?
            if let range = fields["name"], bytes[range.lowerBound] != UInt8(ascii: "n") {
                guard case .some(.some(let value)) = string("name", limit: 1 << 20) else {
                    throw Invalid(code: "invalid_message", message: "state \"name\" is a string")
                }
                name = value
            }
            return .state(audio: try flag("audio"), video: try flag("video"), screen: try flag("screen"), name: name)
        case "leave":
            return .leave
        case "away":
            return .away
        case "ping":
            return .ping
        default:
            throw Invalid(code: "unknown_type", message: "unknown message type")
        }
    }

    /// The top-level keys the server reads; others are checked and ignored (a claimed `from` among them).
    static let keys: Set<String> = ["type", "to", "data", "audio", "video", "screen", "name"]

    /// Whether the checked JSON value at `start` is an object with one of `wanted` among its own keys.
    static func objectHasKey(_ bytes: [UInt8], at start: Int, of wanted: Set<String>) -> Bool {
        var scanner = JSONScanner(bytes, at: start)
        guard scanner.take(UInt8(ascii: "{")), !scanner.take(UInt8(ascii: "}")) else { return false }
        var found = false
        do {
            repeat {
                if let key = try scanner.readKey(), wanted.contains(key) { found = true }
                try scanner.expect(UInt8(ascii: ":"))
                _ = try scanner.skipValue(depth: 1)
            } while scanner.take(UInt8(ascii: ","))
        } catch {
            return false
        }
        return found
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
    case signal(from: String, data: RawJSON)
    case state(from: String, media: MediaState, name: String)
    case roomClosed(reason: String)
    case error(code: String, message: String)
    case pong

    /// The JSON text sent on the socket (keys in sorted order).
    public var json: String {
        let value: JSONValue
        switch self {
        case .signal(let from, let data):
            // The relay's hot path: no tree, the sender's `data` as it came.
            var text = #"{"data":"#
            text.reserveCapacity(data.text.utf8.count + from.utf8.count + 40)
            text += data.text
            text += #","from":"#
            JSONValue.string(from).write(to: &text)
            text += #","type":"signal"}"#
            return text
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
