public import GRDB
public import Ledger

/// Replays the ledger against the rules of the domain and reports each event that breaks one, with its
/// position: a token issued for a room that ended or never existed; a token used twice, used after it
/// was revoked or after it expired, or for another room; a join with no `token.used` for that peer in
/// the same append (a forged join); a room with more peers than it allows, a join to a room that ended
/// or never existed, a peer leaving twice. The gateway's decisions never append such events; finding
/// one means the file was written by something else, or a bug got through.
public enum RuleChecker {
    /// `recorded_at` is the commit time, a little later than the moment the decision checked the token's
    /// expiry; a use is reported as late only when it was recorded more than this after the expiry.
    public static let expirySlack: Int64 = 10_000

    private struct Room {
        var maxPeers: Int
        var live = true
        var present: Set<String> = []
    }

    private struct Token {
        var room: String
        var expiresAt: Int64
        var usedAt: Int64?
        var revokedAt: Int64?
    }

    public static func check(in db: Database, progress: ((Int64) -> Void)? = nil) throws -> [LedgerIssue] {
        var issues: [LedgerIssue] = []
        var rooms: [String: Room] = [:]
        var tokens: [String: Token] = [:]
        func report(_ position: Int64, _ detail: String) {
            issues.append(LedgerIssue(kind: .ruleViolation, position: position, detail: detail))
        }
        // Events of one append transaction share `recorded_at`. Joins and token uses are matched within
        // such a group (in either order) when the group closes.
        var groupTime: Int64 = .min
        var groupJoins: [(position: Int64, join: PeerJoined)] = []
        var groupUses: Set<String> = []
        func closeGroup() {
            for (position, join) in groupJoins where !groupUses.contains("\(join.room)|\(join.peerId)|\(join.tokenId)") {
                report(position, "peer \(join.peerId) joined room \(join.room) without a token.used for it in the same append")
            }
            groupJoins.removeAll()
            groupUses.removeAll()
        }
        var count: Int64 = 0
        try EventReader.forEach(in: db, skipCorrupt: true) { recorded in
            let position = recorded.position
            if recorded.recordedAt != groupTime {
                closeGroup()
                groupTime = recorded.recordedAt
            }
            count += 1
            if count % 100_000 == 0 { progress?(count) }
            switch recorded.event {
            case .roomCreated(let e):
                if rooms[e.code] != nil { report(position, "room \(e.code) created twice") }
                rooms[e.code] = Room(maxPeers: e.maxPeers)
            case .roomEnded(let e):
                guard var room = rooms[e.room] else { return report(position, "room \(e.room) ended but never created") }
                if !room.live { report(position, "room \(e.room) ended twice") }
                room.live = false
                rooms[e.room] = room
            case .peerJoined(let e):
                groupJoins.append((position, e))
                guard var room = rooms[e.room] else { return report(position, "peer \(e.peerId) joined unknown room \(e.room)") }
                if !room.live { report(position, "peer \(e.peerId) joined room \(e.room) after it ended") }
                if room.present.contains(e.peerId) { report(position, "peer \(e.peerId) joined room \(e.room) twice") }
                room.present.insert(e.peerId)
                if room.present.count > room.maxPeers {
                    report(position, "room \(e.room) has \(room.present.count) peers, more than its \(room.maxPeers)")
                }
                rooms[e.room] = room
            case .peerLeft(let e):
                guard var room = rooms[e.room], room.present.remove(e.peerId) != nil else {
                    return report(position, "peer \(e.peerId) left room \(e.room) without being in it")
                }
                rooms[e.room] = room
            case .tokenIssued(let e):
                if tokens[e.tokenId] != nil { report(position, "token \(e.tokenId) issued twice") }
                if let room = rooms[e.room] {
                    if !room.live { report(position, "token \(e.tokenId) issued for room \(e.room) after it ended") }
                } else {
                    report(position, "token \(e.tokenId) issued for unknown room \(e.room)")
                }
                tokens[e.tokenId] = Token(room: e.room, expiresAt: e.expiresAt)
            case .tokenUsed(let e):
                groupUses.insert("\(e.room)|\(e.peerId)|\(e.tokenId)")
                guard var token = tokens[e.tokenId] else { return report(position, "token \(e.tokenId) used but never issued") }
                if let first = token.usedAt {
                    report(position, "token \(e.tokenId) used twice (first at position \(first))")
                }
                if let revoked = token.revokedAt {
                    report(position, "token \(e.tokenId) used after it was revoked at position \(revoked)")
                }
                if recorded.recordedAt > token.expiresAt + expirySlack {
                    report(position, "token \(e.tokenId) used at \(recorded.recordedAt), after it expired at \(token.expiresAt)")
                }
                if token.room != e.room { report(position, "token \(e.tokenId) of room \(token.room) used for room \(e.room)") }
                token.usedAt = token.usedAt ?? position
                tokens[e.tokenId] = token
            case .tokenRevoked(let e):
                guard var token = tokens[e.tokenId] else { return report(position, "token \(e.tokenId) revoked but never issued") }
                token.revokedAt = token.revokedAt ?? position
                tokens[e.tokenId] = token
            default:
                break
            }
        }
        closeGroup()
        // A group's unmatched joins are found when it closes: put them back in position order (stably).
        return issues.enumerated()
            .sorted { ($0.element.position ?? .max, $0.offset) < ($1.element.position ?? .max, $1.offset) }
            .map(\.element)
    }
}
