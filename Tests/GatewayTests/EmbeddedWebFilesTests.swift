import Foundation
import Testing
import WebAssets

/// The EmbedFiles plugin embeds the web client's files as string literals: every `.html`, `.css`,
/// `.js` and `.svg` file of Web/ is served byte for byte, with its media type, and nothing else is.
@Suite struct EmbeddedWebFilesTests {
    static let webFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Web")

    @Test func everyWebFileIsEmbeddedByteForByteAndNothingElse() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.webFolder.path)
            .filter { ["html", "css", "js", "svg"].contains(($0 as NSString).pathExtension) }
        #expect(names.count >= 17)
        #expect(Set(WebAssets.all.keys) == Set(names))
        for name in names {
            let onDisk = try Data(contentsOf: Self.webFolder.appendingPathComponent(name))
            let asset = try #require(WebAssets.all[name])
            #expect(asset.name == name)
            #expect(Data(asset.bytes) == onDisk, "\(name) differs from the file")
        }
    }

    @Test func eachFileHasTheMediaTypeOfItsExtension() throws {
        #expect(WebAssets.all["call.html"]?.contentType == "text/html; charset=utf-8")
        #expect(WebAssets.all["calls.css"]?.contentType == "text/css; charset=utf-8")
        #expect(WebAssets.all["toast.js"]?.contentType == "text/javascript; charset=utf-8")
        #expect(WebAssets.all["icon.svg"]?.contentType == "image/svg+xml")
    }

    /// The literal keeps what a naive embedding would mangle: quotes, backslashes, tabs, CR and
    /// non-ASCII text (the files hold all of these: regular expressions, escapes, "·" and "…").
    @Test func escapesSurviveTheRoundTrip() throws {
        let all = WebAssets.all.values.flatMap(\.bytes)
        #expect(all.contains(UInt8(ascii: "\\")))
        #expect(all.contains(UInt8(ascii: "\"")))
        #expect(all.contains { $0 >= 0x80 }, "some file has non-ASCII text")
    }
}
