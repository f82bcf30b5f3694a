import Foundation

/// The NIP-01 messages between a client and a relay: JSON arrays whose first item names the message.
/// Parsing is bounded and total: anything unexpected is `nil`, never a crash.
public enum RelayMessage: Sendable, Hashable {
    // Client to relay.
    case publish(NostrEvent)
    case request(subscription: String, filters: [Filter])
    case close(subscription: String)
    // Relay to client.
    case event(subscription: String, NostrEvent)
    case ok(eventId: String, accepted: Bool, message: String)
    case endOfStoredEvents(subscription: String)
    case notice(String)
    case closed(subscription: String, message: String)

    /// A REQ filter: the fields this gateway uses.
    public struct Filter: Sendable, Hashable {
        public var kinds: [Int]?
        public var pTags: [String]?
        public var ids: [String]?
        public var authors: [String]?
        public var since: Int64?
        public var limit: Int?

        public init(kinds: [Int]? = nil, pTags: [String]? = nil, ids: [String]? = nil, authors: [String]? = nil, since: Int64? = nil, limit: Int? = nil) {
            self.kinds = kinds
            self.pTags = pTags
            self.ids = ids
            self.authors = authors
            self.since = since
            self.limit = limit
        }

        var object: [String: Any] {
            var out: [String: Any] = [:]
            if let kinds { out["kinds"] = kinds }
            if let pTags { out["#p"] = pTags }
            if let ids { out["ids"] = ids }
            if let authors { out["authors"] = authors }
            if let since { out["since"] = since }
            if let limit { out["limit"] = limit }
            return out
        }
    }

    /// The largest relay message read (a relay that sends more is cut off).
    public static let maxBytes = 131_072

    /// The message as JSON text.
    public func json() -> String {
        func encode(_ items: [Any]) -> String {
            let data = (try? JSONSerialization.data(withJSONObject: items, options: [.withoutEscapingSlashes, .sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
        switch self {
        case .publish(let event): return "[\"EVENT\",\(event.json())]"
        case .request(let id, let filters): return encode(["REQ", id] + filters.map(\.object))
        case .close(let id): return encode(["CLOSE", id])
        case .event(let id, let event):
            var out = "[\"EVENT\","
            NostrEvent.appendString(id, to: &out)
            return out + ",\(event.json())]"
        case .ok(let id, let accepted, let message): return encode(["OK", id, accepted, message])
        case .endOfStoredEvents(let id): return encode(["EOSE", id])
        case .notice(let text): return encode(["NOTICE", text])
        case .closed(let id, let message): return encode(["CLOSED", id, message])
        }
    }

    /// Reads a message from a relay (`fromRelay`) or from a client.
    public static func parse(_ text: String, fromRelay: Bool) -> RelayMessage? {
        guard text.utf8.count <= maxBytes,
            let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any],
            let name = array.first as? String
        else { return nil }
        func event(_ value: Any) -> NostrEvent? {
            // Foundation raises (and so stops the process) on a value that is not an object or array,
            // such as the `null` in `["EVENT",null]`: check before handing it over.
            guard value is [String: Any], JSONSerialization.isValidJSONObject(value),
                let data = try? JSONSerialization.data(withJSONObject: value)
            else { return nil }
            return try? JSONDecoder().decode(NostrEvent.self, from: data)
        }
        func string(_ index: Int) -> String? { index < array.count ? array[index] as? String : nil }
        if fromRelay {
            switch name {
            case "EVENT":
                guard array.count == 3, let id = string(1), let parsed = event(array[2]) else { return nil }
                return .event(subscription: id, parsed)
            case "OK":
                guard array.count >= 3, let id = string(1), let accepted = array[2] as? Bool else { return nil }
                return .ok(eventId: id, accepted: accepted, message: string(3) ?? "")
            case "EOSE":
                guard let id = string(1) else { return nil }
                return .endOfStoredEvents(subscription: id)
            case "NOTICE":
                return .notice(string(1) ?? "")
            case "CLOSED":
                guard let id = string(1) else { return nil }
                return .closed(subscription: id, message: string(2) ?? "")
            default:
                return nil
            }
        }
        switch name {
        case "EVENT":
            guard array.count == 2, let parsed = event(array[1]) else { return nil }
            return .publish(parsed)
        case "REQ":
            guard array.count >= 2, let id = string(1) else { return nil }
            let filters = array.dropFirst(2).compactMap { $0 as? [String: Any] }.map { object in
                Filter(
                    kinds: object["kinds"] as? [Int],
                    pTags: object["#p"] as? [String],
                    ids: object["ids"] as? [String],
                    authors: object["authors"] as? [String],
                    // `as? Int64` is nil for a number Int64 cannot hold exactly (1e300, 1.5), never a trap.
                    since: object["since"] as? Int64,
                    limit: object["limit"] as? Int
                )
            }
            return .request(subscription: id, filters: filters)
        case "CLOSE":
            guard let id = string(1) else { return nil }
            return .close(subscription: id)
        default:
            return nil
        }
    }
}
