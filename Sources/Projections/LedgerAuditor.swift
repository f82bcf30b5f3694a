public import Foundation
import GRDB
public import Ledger

/// Everything `crow-ledger verify` checks, on a file opened read-only: the migrations, the hash chain,
/// the projection checkpoints, the projections against a rebuild from zero, and the domain rules.
public enum LedgerAuditor {
    public struct Report: Sendable {
        public var issues: [LedgerIssue]
        public var events: Int64
        public var headPosition: Int64
        public var headHash: Data

        public var passed: Bool { issues.isEmpty }
    }

    /// What the audit is doing, for a progress line.
    public enum Stage: String, Sendable {
        case chain = "checking the hash chain"
        case rebuild = "rebuilding projections"
        case rules = "checking rules"
    }

    /// Opens `path` read-only and audits it. Nothing in the file is changed.
    public static func audit(path: String, progress: ((Stage, Int64, Int64) -> Void)? = nil) throws -> Report {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LedgerError.storage("no ledger at \(path)")
        }
        var configuration = Configuration()
        configuration.readonly = true
        // A running gateway may hold the file's locks for a moment (a commit or a checkpoint): wait.
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        // One read transaction for everything: the chain, the checkpoints, the rebuild, the comparison
        // with the live tables and the rules all see the same snapshot, whatever a running gateway
        // appends meanwhile.
        return try queue.read { db in try audit(db, progress: progress) }
    }

    static func audit(_ db: Database, progress: ((Stage, Int64, Int64) -> Void)?) throws -> Report {
        // The projections are compared with a rebuild in this build's schema, so a file an older build
        // migrated would show every changed table as a mismatch: it is refused with what to do instead.
        try Migrator.checkCurrent(db)
        let head = try EventReader.headPosition(in: db)
        let chain = try ChainVerifier.verify(in: db) { progress?(.chain, $0, head) }
        var issues = chain.issues

        let checkpoints = try Queries.checkpoints(in: db)
        for (name, position) in checkpoints.sorted(by: { $0.key < $1.key }) {
            if position > chain.headPosition {
                issues.append(
                    LedgerIssue(
                        kind: .checkpointAhead,
                        position: chain.headPosition + 1,
                        detail: "projection \(name) is at position \(position) but the ledger ends at \(chain.headPosition): events were removed from the end"
                    )
                )
            } else if position < chain.headPosition {
                issues.append(
                    LedgerIssue(
                        kind: .projectionMismatch,
                        position: position + 1,
                        detail: "projection \(name) stops at position \(position) but the ledger goes on to \(chain.headPosition): events were added behind the gateway's back"
                    )
                )
            }
        }

        if !issues.contains(where: { $0.kind == .corruptEvent }) {
            let snapshot = try ProjectionRebuilder.rebuildSnapshot(from: db, through: chain.headPosition) { done, total in
                progress?(.rebuild, done, total)
            }
            // A rebuild has no checkpoints ahead or behind: those are reported above, once each.
            issues += try ProjectionRebuilder.compare(snapshot: snapshot, live: db).filter {
                !$0.detail.hasPrefix("projection_checkpoints ")
            }
        }
        issues += try RuleChecker.check(in: db) { progress?(.rules, $0, head) }
        issues.sort { ($0.position ?? .max, $0.kind.rawValue) < ($1.position ?? .max, $1.kind.rawValue) }
        return Report(issues: issues, events: chain.events, headPosition: chain.headPosition, headHash: chain.headHash)
    }
}
