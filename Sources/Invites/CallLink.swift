import Foundation

/// The address of a call: `<base>/calls?room=<code>&token=<token>`, as the call page reads it. Used for
/// the host's link, guest links and the join URL inside invites.
public enum CallLink {
    public static func url(base: String, room: String, token: String) -> String {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "room", value: room), URLQueryItem(name: "token", value: token)]
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return "\(trimmed)/calls?\(components.percentEncodedQuery ?? "")"
    }
}
