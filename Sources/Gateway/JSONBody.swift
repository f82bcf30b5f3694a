import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// Reading and writing JSON bodies with limits and the error shape of docs/API.md.
enum JSONBody {
    /// Decodes a JSON request body of at most `limit` bytes. An empty body decodes as `{}`.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 16_384) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw GatewayError(.contentTooLarge, code: "invalid_request", message: "the body is larger than \(limit) bytes")
        }
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer: buffer)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw GatewayError.invalidRequest("\(field(context)) has the wrong type")
        } catch DecodingError.keyNotFound(let key, _) {
            throw GatewayError.invalidRequest("\(key.stringValue) is required")
        } catch {
            throw GatewayError.invalidRequest("the body is not valid JSON")
        }
    }

    /// The JSON the gateway writes: keys sorted, `/` not escaped, on one line.
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        response(encoded: ByteBuffer(bytes: try encode(value)), status: status)
    }

    /// A JSON answer whose body is encoded already.
    static func response(encoded body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// The headers of every JSON answer (docs/API.md, Conventions).
    static let headers: HTTPFields = [
        .contentType: "application/json; charset=utf-8", .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
    ]

    private static func field(_ context: DecodingError.Context) -> String {
        context.codingPath.map(\.stringValue).joined(separator: ".").nilIfEmpty ?? "the body"
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
