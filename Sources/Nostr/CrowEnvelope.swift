import Foundation

/// The JSON that carries call invites between gateways, compatible with Crow:
///
///     {"type":"crow_social","version":1,"subtype":"room_invite",
///      "payload":{"room_code":"…","join_url":"…","host_name":"…","host_crow_id":"…"}}
///
/// Crow sends `room_invite` and `room_closed` (the caller withdrew). This gateway adds three answers in
/// the same envelope: `call_declined`, `call_cancelled` and `call_busy`, each with the `room_code` it
/// answers. Decoding is strict and bounded: anything else is refused with a reason.
public enum CrowEnvelope: Sendable, Hashable {
    case roomInvite(RoomInvite)
    case roomClosed(roomCode: String)
    case callDeclined(roomCode: String)
    case callCancelled(roomCode: String)
    case callBusy(roomCode: String)

    public struct RoomInvite: Sendable, Hashable {
        public var roomCode: String
        public var joinURL: String
        public var hostName: String
        public var hostCrowID: String?

        public init(roomCode: String, joinURL: String, hostName: String, hostCrowID: String? = nil) {
            self.roomCode = roomCode
            self.joinURL = joinURL
            self.hostName = hostName
            self.hostCrowID = hostCrowID
        }
    }

    public enum Refusal: String, Error, Sendable {
        case tooLarge = "too_large"
        case notJSON = "not_json"
        case notCrow = "not_crow"
        case unknownSubtype = "unknown_subtype"
        case badField = "bad_field"
        case badJoinURL = "bad_join_url"
    }

    /// The largest envelope read (the JSON text, before any other check).
    public static let maxBytes = 8192
    public static let maxRoomCode = 64
    public static let maxJoinURL = 2048
    public static let maxHostName = 256
    public static let maxCrowID = 256

    public var roomCode: String {
        switch self {
        case .roomInvite(let invite): return invite.roomCode
        case .roomClosed(let code), .callDeclined(let code), .callCancelled(let code), .callBusy(let code): return code
        }
    }

    public var subtype: String {
        switch self {
        case .roomInvite: return "room_invite"
        case .roomClosed: return "room_closed"
        case .callDeclined: return "call_declined"
        case .callCancelled: return "call_cancelled"
        case .callBusy: return "call_busy"
        }
    }

    /// The envelope as JSON text (keys sorted, `/` unescaped).
    public func json() -> String {
        var payload: [String: String] = ["room_code": roomCode]
        if case .roomInvite(let invite) = self {
            payload["join_url"] = invite.joinURL
            payload["host_name"] = invite.hostName
            if let id = invite.hostCrowID { payload["host_crow_id"] = id }
        }
        struct Wire: Encodable {
            var type = "crow_social"
            var version = 1
            var subtype: String
            var payload: [String: String]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(Wire(subtype: subtype, payload: payload))) ?? Data(), as: UTF8.self)
    }

    /// Reads an envelope from decrypted content.
    public static func parse(_ text: String) throws(Refusal) -> CrowEnvelope {
        guard text.utf8.count <= maxBytes else { throw .tooLarge }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { throw .notJSON }
        guard object["type"] as? String == "crow_social", (object["version"] as? NSNumber)?.intValue == 1 else { throw .notCrow }
        guard let payload = object["payload"] as? [String: Any], let subtype = object["subtype"] as? String else { throw .badField }
        func field(_ name: String, max: Int, required: Bool = true) throws(Refusal) -> String? {
            guard let value = payload[name] else {
                if required { throw .badField }
                return nil
            }
            guard let text = value as? String, !text.isEmpty, text.utf8.count <= max else { throw .badField }
            return text
        }
        guard let roomCode = try field("room_code", max: maxRoomCode),
            roomCode.utf8.allSatisfy({ $0 == 0x2d || $0 == 0x5f || (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) })
        else { throw .badField }
        switch subtype {
        case "room_invite":
            guard let joinURL = try field("join_url", max: maxJoinURL), let hostName = try field("host_name", max: maxHostName) else {
                throw .badField
            }
            guard JoinURLRule.isAcceptable(joinURL) else { throw .badJoinURL }
            return .roomInvite(RoomInvite(roomCode: roomCode, joinURL: joinURL, hostName: hostName, hostCrowID: try field("host_crow_id", max: maxCrowID, required: false)))
        case "room_closed": return .roomClosed(roomCode: roomCode)
        case "call_declined": return .callDeclined(roomCode: roomCode)
        case "call_cancelled": return .callCancelled(roomCode: roomCode)
        case "call_busy": return .callBusy(roomCode: roomCode)
        default: throw .unknownSubtype
        }
    }
}
