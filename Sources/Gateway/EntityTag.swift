import Foundation

/// `If-None-Match` against a resource's current `ETag`, for every route that answers 304: the bell and
/// the web client's files.
enum EntityTag {
    /// Whether the header (one or more entity tags, or `*`; weak tags count, as RFC 9110 says for
    /// `If-None-Match`) names `etag`. No header is no match.
    static func matches(_ header: String?, _ etag: String) -> Bool {
        guard let header else { return false }
        if header == etag { return true }  // what browsers and the toast send
        return header.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
