import Foundation
import HTTPTypes

/// `If-None-Match` against a resource's current `ETag`, for every route that answers 304: the bell and
/// the web client's files.
enum EntityTag {
    /// Whether the request's `If-None-Match` fields name `etag`. Each field is read in place: the
    /// `headers[.ifNoneMatch]` subscript joins every value into a new string first, which was the
    /// largest cost in the bell's own handler on its 304 path (docs/BENCHMARKS.md, "The bell"). Several
    /// fields are one list, as their joined value would be; a request without the field matches nothing.
    static func matches(_ fields: HTTPFields, _ etag: String) -> Bool {
        for field in fields where field.name == .ifNoneMatch {
            if matches(field.value, etag) { return true }
        }
        return false
    }

    /// Whether one field value (one or more entity tags, or `*`; weak tags count, as RFC 9110 says for
    /// `If-None-Match`) names `etag`.
    static func matches(_ header: String, _ etag: String) -> Bool {
        if header == etag { return true }  // what browsers and the toast send
        return header.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
