import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import Gateway

/// `Authorization: Bearer <token>` is read byte by byte (it runs on every owner request); these are
/// the shapes it must accept and refuse.
@Suite struct BearerHeaderTests {
    static let token = String(repeating: "aZ09-_", count: 7) + "x"

    static func request(_ authorization: String) -> Request {
        Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/api/owner", headerFields: [.authorization: authorization]),
            body: RequestBody(buffer: ByteBuffer())
        )
    }

    @Test(arguments: ["Bearer \(token)", "bearer \(token)", "BEARER \(token)", "Bearer   \(token)  ", "Bearer \t\(token)\t"])
    func acceptedShapes(header: String) {
        #expect(Self.token.utf8.count == 43)
        #expect(OwnerOriginPolicy.bearerSecret(in: Self.request(header)) == Self.token)
    }

    @Test(arguments: [
        "Basic \(token)", "Bearer", "Bearer ", "Bearer\(token)", "Bearer \(token)x", "Bearer \(token.dropLast())",
        "Bearer \(token.dropLast())=", "Bearer \(token) \(token)", "Bearers \(token)", "Bearér \(token)", "",
    ])
    func refusedShapes(header: String) {
        #expect(OwnerOriginPolicy.bearerSecret(in: Self.request(header)) == nil)
    }

    /// Two `Authorization` fields name no single credential, even when each alone would pass.
    @Test func twoAuthorizationFieldsAreRefused() {
        var fields = HTTPFields()
        fields.append(HTTPField(name: .authorization, value: "Bearer \(Self.token)"))
        fields.append(HTTPField(name: .authorization, value: "Bearer \(Self.token)"))
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/api/owner", headerFields: fields),
            body: RequestBody(buffer: ByteBuffer())
        )
        #expect(OwnerOriginPolicy.bearerSecret(in: request) == nil)
    }
}
