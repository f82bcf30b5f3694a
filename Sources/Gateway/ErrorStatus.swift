public import CallStore
public import Decisions
public import OwnerStore
public import HTTPTypes
public import Invites

/// The one table from a refusal of the domain (the calls domain, the owner's store, the invite path) to the HTTP status it is answered with, used by the rooms
/// API, the signaling upgrade check and the owner API alike (docs/API.md lists it). The switches are
/// exhaustive on purpose: a new refusal does not compile until it is given a status here.
public enum ErrorStatus {
    public static func status(of rejection: Rejection) -> HTTPResponse.Status {
        switch rejection {
        case .invalidRequest: return .badRequest
        case .tokenInvalid: return .unauthorized
        case .tokenUsed: return .conflict
        case .tokenExpired, .tokenRevoked: return .gone
        case .roomNotFound: return .notFound
        case .roomFull, .roomNotEmpty, .roomExists: return .conflict
        case .roomEnded: return .gone
        case .peerNotFound, .inviteNotFound: return .notFound
        case .inviteWrongDirection, .inviteState, .duplicateInvite: return .conflict
        case .noRelayAccepted: return .badGateway
        }
    }

    public static func status(of error: OwnerError) -> HTTPResponse.Status {
        switch error {
        case .invalidContact, .invalidRelays, .invalidPublicAddress: return .badRequest
        case .contactNotFound, .setupSecretInvalid: return .notFound
        case .contactExists, .ownerExists: return .conflict
        case .storage: return .serviceUnavailable
        }
    }

    public static func status(of refusal: InviteRefusal) -> HTTPResponse.Status {
        switch refusal {
        case .publicAddressNeeded: return .conflict
        case .invalidContactKey: return .unprocessableContent
        }
    }

    /// The answer to an invite or a guest link that cannot be made.
    public static func gatewayError(_ refusal: InviteRefusal) -> GatewayError {
        GatewayError(status(of: refusal), code: refusal.code, message: refusal.message)
    }

    /// The answer to a failed `CallStore` command. A ledger failure is `storage_error` (503): its own
    /// code and details stay in the logs.
    public static func gatewayError(_ error: CallError) -> GatewayError {
        switch error {
        case .rejected(let rejection):
            return GatewayError(status(of: rejection), code: rejection.code, message: rejection.description)
        case .ledger:
            return storageError
        }
    }

    /// The answer to a failed owner command.
    public static func gatewayError(_ error: OwnerError) -> GatewayError {
        switch error {
        case .storage: return storageError
        default: return GatewayError(status(of: error), code: error.code, message: error.description)
        }
    }

    /// The answer to any failure of a command: typed refusals by the table, anything else as storage.
    public static func gatewayError(_ error: any Error) -> GatewayError {
        switch error {
        case let error as GatewayError: return error
        case let error as CallError: return gatewayError(error)
        case let error as OwnerError: return gatewayError(error)
        case let rejection as Rejection: return gatewayError(.rejected(rejection))
        case let refusal as InviteRefusal: return gatewayError(refusal)
        default: return storageError
        }
    }

    /// Runs a store command and answers its typed refusal (`CallError` or `OwnerError`) through this
    /// table; anything else passes through unchanged.
    @discardableResult
    static func answering<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as CallError {
            throw gatewayError(error)
        } catch let error as OwnerError {
            throw gatewayError(error)
        } catch let refusal as InviteRefusal {
            throw gatewayError(refusal)
        }
    }

    public static let storageError = GatewayError(.serviceUnavailable, code: "storage_error", message: "the ledger is not available")
}
