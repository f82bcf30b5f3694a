import Foundation
import Ledger

/// One readable line per event for `crow-ledger log`. Names and labels come from outside (guests pick
/// their display names), so every value is passed through `TerminalText.safe` before it is printed.
enum EventDescription {
    static func line(_ event: RecordedEvent) -> String {
        let time = timestamp(event.recordedAt)
        return "\(time)  #\(event.position)  \(TerminalText.safe(event.stream))  \(event.type)  \(summary(event.event))"
    }

    static func summary(_ event: LedgerEvent) -> String {
        let s = TerminalText.safe
        switch event {
        case .roomCreated(let e):
            return "room \(s(e.code)) created by \(e.createdBy.rawValue) for \(s(e.hostName)), up to \(e.maxPeers) peers"
        case .roomEnded(let e):
            return "room \(s(e.room)) ended (\(e.reason.rawValue)) after \(duration(e.durationMs))"
        case .peerJoined(let e):
            return "\(s(e.displayName)) joined as peer \(s(e.peerId)) with token \(s(e.tokenId))"
        case .peerLeft(let e):
            return "peer \(s(e.peerId)) left (\(e.reason.rawValue))"
        case .tokenIssued(let e):
            let label = e.label.map { " \"\(s($0))\"" } ?? ""
            return "\(e.role.rawValue) token \(s(e.tokenId))\(label) for room \(s(e.room)), expires \(timestamp(e.expiresAt))"
        case .tokenUsed(let e):
            return "token \(s(e.tokenId)) used by peer \(s(e.peerId))"
        case .tokenRevoked(let e):
            return "token \(s(e.tokenId)) revoked (\(e.reason.rawValue))"
        case .inviteRequested(let e):
            return "invite \(s(e.inviteId)) to \(short(e.contactPubkey)) over \(e.transport.rawValue) queued for room \(s(e.room))"
        case .inviteSent(let e):
            return "invite \(s(e.inviteId)) accepted by \(e.relays.filter(\.ok).count)/\(e.relays.count) relays after \(e.attempts) attempts"
        case .inviteFailed(let e):
            return "invite \(s(e.inviteId)) failed after \(e.attempts) attempts: \(s(e.reason))"
        case .inviteReceived(let e):
            return "incoming call \(s(e.inviteId)) from \(s(e.senderName)) (\(short(e.senderPubkey))) to room \(s(e.room))"
        case .inviteDismissed(let e):
            return "incoming call \(s(e.inviteId)) dismissed"
        case .inviteAccepted(let e):
            return "incoming call \(s(e.inviteId)) accepted"
        case .inviteDeclined(let e):
            return "invite \(s(e.inviteId)) declined by \(s(e.by))"
        case .inviteCancelled(let e):
            return "invite \(s(e.inviteId)) cancelled (\(s(e.reason)))"
        case .unknown(let type):
            return "(\(s(type)): not known to this build)"
        }
    }

    /// UTC, millisecond precision, computed in integers so that no float rounding shifts the last digit.
    static func timestamp(_ milliseconds: Int64) -> String {
        let seconds = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let whole = seconds.remainder < 0 ? seconds.quotient - 1 : seconds.quotient
        let fraction = (milliseconds - whole * 1000)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        let text = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(whole)))
        return text.dropLast() + "." + String(format: "%03lld", fraction) + "Z"
    }

    static func duration(_ milliseconds: Int64) -> String {
        let seconds = milliseconds / 1000
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds / 3600) h \(seconds % 3600 / 60) min"
    }

    static func short(_ key: String) -> String {
        key.count > 16 ? "\(TerminalText.safe(String(key.prefix(8))))…\(TerminalText.safe(String(key.suffix(4))))" : TerminalText.safe(key)
    }
}

/// Makes untrusted text safe to print on a terminal: control characters (escape sequences among them),
/// bidirectional overrides and other invisible format characters are shown as `\u{…}` escapes.
enum TerminalText {
    static func safe(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
