import Testing

@testable import Gateway

/// `If-None-Match` as the bell and the web client's files read it.
@Suite struct EntityTagTests {
    @Test func currentTagsMatchInEveryFormTheHeaderAllows() {
        let etag = "\"42.abc\""
        for header in [etag, "*", "W/\(etag)", "\"other\", \(etag)", " \"x\" ,W/\(etag) "] {
            #expect(EntityTag.matches(header, etag), "\(header)")
        }
        for header: String? in [nil, "", "\"42.ab\"", "42.abc", "\"other\"", "W/\"other\""] {
            #expect(!EntityTag.matches(header, etag), "\(header ?? "nil")")
        }
    }
}
