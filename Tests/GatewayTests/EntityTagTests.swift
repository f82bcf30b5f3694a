import Testing

import HTTPTypes

@testable import Gateway

/// `If-None-Match` as the bell and the web client's files read it.
@Suite struct EntityTagTests {
    @Test func currentTagsMatchInEveryFormTheHeaderAllows() {
        let etag = "\"42.abc\""
        for header in [etag, "*", "W/\(etag)", "\"other\", \(etag)", " \"x\" ,W/\(etag) "] {
            #expect(EntityTag.matches(header, etag), "\(header)")
        }
        for header in ["", "\"42.ab\"", "42.abc", "\"other\"", "W/\"other\""] {
            #expect(!EntityTag.matches(header, etag), "\(header)")
        }
        #expect(!EntityTag.matches(HTTPFields(), etag), "no If-None-Match field names nothing")
    }

    /// The request's fields are read one by one; several `If-None-Match` fields are one list, as their
    /// joined value would be, and other fields never count.
    @Test func everyIfNoneMatchFieldOfARequestCounts() {
        let etag = "\"42.abc\""
        var fields = HTTPFields()
        #expect(!EntityTag.matches(fields, etag))
        fields[.eTag] = etag
        fields[.ifMatch] = etag
        #expect(!EntityTag.matches(fields, etag), "only If-None-Match names the client's copy")
        fields.append(HTTPField(name: .ifNoneMatch, value: "\"other\""))
        #expect(!EntityTag.matches(fields, etag))
        fields.append(HTTPField(name: .ifNoneMatch, value: "W/\"x\", W/\(etag)"))
        #expect(EntityTag.matches(fields, etag), "a later field names it")
        var star = HTTPFields()
        star.append(HTTPField(name: .ifNoneMatch, value: "*"))
        #expect(EntityTag.matches(star, etag))
        var split = HTTPFields()
        split.append(HTTPField(name: .ifNoneMatch, value: "\"42."))
        split.append(HTTPField(name: .ifNoneMatch, value: "abc\""))
        #expect(!EntityTag.matches(split, etag), "a tag is never pieced together from two fields")
    }
}
