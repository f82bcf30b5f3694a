public import Foundation
public import GRDB

/// One thing wrong with a ledger file, tied to the position where it shows.
public struct LedgerIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The stored hash is not SHA256(previous hash || canonical bytes).
        case hashMismatch = "hash_mismatch"
        /// A position is missing: the positions are not 1, 2, 3...
        case positionGap = "position_gap"
        /// A stream's versions are not 1, 2, 3...
        case versionGap = "version_gap"
        /// The payload does not decode, or is not UTF-8.
        case corruptEvent = "corrupt_event"
        /// A read model is not what a rebuild from zero gives.
        case projectionMismatch = "projection_mismatch"
        /// A projection checkpoint points past the last event (events were removed at the end).
        case checkpointAhead = "checkpoint_ahead"
        /// The events break a rule of the domain (a token used twice, a room over capacity...).
        case ruleViolation = "rule_violation"
    }

    public var kind: Kind
    /// The ledger position, or nil for a problem not tied to one event.
    public var position: Int64?
    public var detail: String

    public init(kind: Kind, position: Int64?, detail: String) {
        self.kind = kind
        self.position = position
        self.detail = detail
    }

    public var description: String {
        if let position { return "position \(position): \(kind.rawValue): \(detail)" }
        return "\(kind.rawValue): \(detail)"
    }
}

/// Checks the structure of the ledger: the hash chain, gapless positions and stream versions, and that
/// every known payload decodes. Reads everything once, in order.
public enum ChainVerifier {
    public struct Report: Sendable {
        public var issues: [LedgerIssue]
        public var events: Int64
        public var headPosition: Int64
        public var headHash: Data
    }

    public static func verify(
        in db: Database,
        progress: ((Int64) -> Void)? = nil
    ) throws -> Report {
        var issues: [LedgerIssue] = []
        var previousHash = HashChain.genesis
        var expectedPosition: Int64 = 1
        var streamVersions: [String: Int] = [:]
        var count: Int64 = 0
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT position, stream, version, type, data, recorded_at, hash FROM events ORDER BY position"
        )
        while let row = try rows.next() {
            count += 1
            let position: Int64 = row[0]
            let stream: String = row[1]
            let version: Int = row[2]
            let type: String = row[3]
            let dataBytes: Data = row[4]
            let recordedAt: Int64 = row[5]
            let hash: Data = row[6]
            if position != expectedPosition {
                issues.append(
                    LedgerIssue(
                        kind: .positionGap,
                        position: expectedPosition,
                        detail: "expected position \(expectedPosition), found \(position): events are missing"
                    )
                )
            }
            expectedPosition = position + 1
            let lastVersion = streamVersions[stream] ?? 0
            if version != lastVersion + 1 {
                issues.append(
                    LedgerIssue(
                        kind: .versionGap,
                        position: position,
                        detail: "\(stream) goes from version \(lastVersion) to \(version)"
                    )
                )
            }
            streamVersions[stream] = version
            guard let data = String(bytes: dataBytes, encoding: .utf8) else {
                issues.append(LedgerIssue(kind: .corruptEvent, position: position, detail: "data is not UTF-8"))
                previousHash = hash
                continue
            }
            let computed = HashChain.hash(
                previous: previousHash,
                position: position,
                stream: stream,
                version: version,
                type: type,
                recordedAt: recordedAt,
                data: data
            )
            if computed != hash {
                issues.append(
                    LedgerIssue(
                        kind: .hashMismatch,
                        position: position,
                        detail: "stored hash does not match the event's bytes and the previous hash"
                    )
                )
            }
            do {
                _ = try LedgerEvent.decode(type: type, data: dataBytes)
            } catch {
                issues.append(
                    LedgerIssue(kind: .corruptEvent, position: position, detail: "\(type) payload does not decode")
                )
            }
            // Chain from the stored hash so that one edit is reported once, at the edited event.
            previousHash = hash
            if count % 100_000 == 0 { progress?(count) }
        }
        return Report(issues: issues, events: count, headPosition: expectedPosition - 1, headHash: previousHash)
    }
}
