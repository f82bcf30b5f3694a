import Foundation
import Crypto
import HTTPTypes
import Hummingbird
import NIOCore

/// A file served from memory with a strong `ETag`, so a browser's revalidation is a 304 without a body.
struct StaticFile: Sendable {
    let contentType: String
    let body: ByteBuffer
    let etag: String

    init(contentType: String, bytes: [UInt8]) {
        self.contentType = contentType
        self.body = ByteBuffer(bytes: bytes)
        let digest = SHA256.hash(data: bytes)
        self.etag = "\"" + digest.prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// The file, or 304 when the request already has this version. Pages are `no-store` (they are small
    /// and their links carry secrets); scripts and styles are revalidated on every load (`no-cache`) so
    /// an upgraded gateway never runs an old script against a new page.
    func response(to request: Request, headers extra: HTTPFields = [:], revalidated: Bool = false) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        headers[.cacheControl] = revalidated ? "no-cache" : "no-store"
        headers[.eTag] = etag
        headers[.xContentTypeOptions] = "nosniff"
        if revalidated, EntityTag.matches(request.headers, etag) {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
