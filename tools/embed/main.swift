import Foundation

// crow-embed OUTPUT FILE...: writes a Swift file declaring `enum EmbeddedFiles`, with each FILE as a
// string literal. It is the build tool behind the EmbedFiles plugin (the web client in WebAssets).
//
// SwiftPM's own `.embedInCode` writes each byte as an integer literal in one array, and the compiler
// took 38 CPU seconds of a release build over the web client's 232 KiB. A string literal of the same
// bytes costs it next to nothing. The files must be UTF-8 text; anything else stops the build.

let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: crow-embed OUTPUT FILE...\n".utf8))
    exit(64)
}

/// `text` as the inside of a Swift string literal: quotes, backslashes and control characters
/// escaped, everything else (all of Unicode) as it is, so the literal's UTF-8 is the file's bytes.
func literal(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A Swift identifier for a file name: `mode-test-canvas.js` → `mode_test_canvas_js`.
func identifier(_ name: String) -> String {
    String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
}

var source = """
    // Generated at build time by crow-embed (tools/embed) from the files of this folder. Do not edit.

    enum EmbeddedFiles {

    """
var entries: [String] = []
for path in arguments.dropFirst().sorted() {
    let name = (path as NSString).lastPathComponent
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("crow-embed: cannot read \(path)\n".utf8))
        exit(1)
    }
    guard let text = String(validating: data, as: UTF8.self) else {
        FileHandle.standardError.write(Data("crow-embed: \(path) is not UTF-8 text\n".utf8))
        exit(1)
    }
    source += "    static let \(identifier(name)): StaticString = \"\(literal(text))\"\n"
    entries.append("        (\"\(literal(name))\", \(identifier(name))),\n")
}
source += "\n    /// Every file: its name in the folder, and its bytes.\n"
source += "    static let all: [(name: String, text: StaticString)] = [\n" + entries.joined() + "    ]\n}\n"
do {
    // Written only when it changed, so an unchanged folder does not recompile its module.
    if FileManager.default.contents(atPath: output) != Data(source.utf8) {
        try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
    }
} catch {
    FileHandle.standardError.write(Data("crow-embed: cannot write \(output): \(error)\n".utf8))
    exit(1)
}
