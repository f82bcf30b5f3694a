import Foundation

/// What the owner is told about an incoming call, whichever way it goes (Web Push or ntfy). The caller's
/// name is untrusted text from another gateway: it is sent as data and shown as text, never as markup.
public struct CallNotice: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// Someone is calling now.
        case ringing
        /// The caller gave up before it was answered.
        case missed
        /// Sent by the owner from the settings, to check that notifications arrive.
        case test
    }

    public var kind: Kind
    /// The incoming call's id (`invite-…`); for a test, a fresh id.
    public var callId: String
    public var callerName: String
    /// Where the call is joined (the caller's gateway), for a ringing call.
    public var joinURL: String?
    /// The panel of this gateway, where missed calls are listed.
    public var panelURL: String

    public init(kind: Kind, callId: String, callerName: String, joinURL: String? = nil, panelURL: String) {
        self.kind = kind
        self.callId = callId
        self.callerName = callerName
        self.joinURL = joinURL
        self.panelURL = panelURL
    }

    public var title: String {
        switch kind {
        case .ringing: return "\(callerName) is calling"
        case .missed: return "Missed call from \(callerName)"
        case .test: return "Crow Calls notifications work"
        }
    }

    public var body: String {
        switch kind {
        case .ringing: return "Tap to join the call."
        case .missed: return "\(callerName) called and gave up before you answered."
        case .test: return "This device will show incoming calls."
        }
    }

    /// The ringing and the missed notice of one call share a tag, so the second replaces the first.
    public var tag: String { "crow-call-\(callId)" }

    /// Where a click goes: the call for a ringing call, the panel otherwise.
    public var clickURL: String { kind == .ringing ? (joinURL ?? panelURL) : panelURL }

    /// The Web Push payload the service worker reads (JSON, at most a few hundred bytes). A ringing call
    /// carries the paths of this gateway's owner API that its notification's Accept and Decline post to
    /// (with the owner's cookie, from the service worker); none of the owner's secrets is in it.
    public func pushPayload() -> [UInt8] {
        var object: [String: String] = [
            "type": kind.rawValue, "id": callId, "caller": callerName, "title": title, "body": body, "tag": tag, "url": clickURL,
        ]
        if kind == .ringing {
            object["accept"] = "/api/calls/incoming/\(callId)/accept"
            object["decline"] = "/api/calls/incoming/\(callId)/decline"
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }
}
