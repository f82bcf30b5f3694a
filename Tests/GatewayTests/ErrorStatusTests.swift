import CallStore
import Decisions
import Foundation
import Gateway
import OwnerStore
import HTTPTypes
import Ledger
import Testing

/// Every refusal has one status, the same in every API, and docs/API.md says which.
@Suite struct ErrorStatusTests {
    static let rejections: [Rejection] = [
        .invalidRequest("x"), .tokenInvalid, .tokenUsed, .tokenExpired, .tokenRevoked, .roomNotFound, .roomFull,
        .roomEnded, .roomNotEmpty, .roomExists, .peerNotFound, .inviteNotFound, .inviteWrongDirection,
        .inviteState("declined"), .duplicateInvite, .noRelayAccepted,
    ]
    static let ownerErrors: [OwnerError] = [
        .setupSecretInvalid, .ownerExists, .contactNotFound, .contactExists, .invalidContact("x"),
    ]

    /// `code` → status from the error table of docs/API.md.
    static func documented() throws -> [String: Int] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/API.md"), encoding: .utf8)
        var table: [String: Int] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, let status = Int(cells[1]) else { continue }
            table[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = status
        }
        return table
    }

    @Test func everyRefusalIsInTheDocumentedTableWithItsStatus() throws {
        let documented = try Self.documented()
        for rejection in Self.rejections {
            let error = ErrorStatus.gatewayError(CallError.rejected(rejection))
            #expect(error.code == rejection.code)
            #expect(documented[rejection.code] == error.status.code, "\(rejection.code)")
        }
        for ownerError in Self.ownerErrors {
            let error = ErrorStatus.gatewayError(ownerError)
            #expect(documented[ownerError.code] == error.status.code, "\(ownerError.code)")
        }
        #expect(documented["storage_error"] == 503)
    }

    @Test func storageFailuresNeverLeakTheirDetails() {
        for error in [
            ErrorStatus.gatewayError(CallError.ledger(.storage("disk I/O error at /secret/path"))),
            ErrorStatus.gatewayError(OwnerError.storage("SQLITE_BUSY")),
            ErrorStatus.gatewayError(CancellationError()),
        ] {
            #expect(error.status == .serviceUnavailable)
            #expect(error.code == "storage_error")
            #expect(!error.message.contains("/secret") && !error.message.contains("SQLITE"))
        }
    }
}
