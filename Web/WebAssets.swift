/// The web client: plain HTML, CSS and ES modules, embedded in the binary at build time so an installed
/// gateway needs no files beside it and cannot serve a page from one build with a script from another.
/// There is no build step: the files in this folder are what browsers get.
public enum WebAssets {
    /// One file as served.
    public struct Asset: Sendable {
        public let name: String
        public let contentType: String
        public let bytes: [UInt8]
    }

    /// Served at `/calls/assets/<name>` (and `toast.js` also at `/calls/toast.js`, the service worker
    /// `sw.js` only at `/calls/sw.js`): every `.html`, `.css`, `.js` and `.svg` file of this folder,
    /// embedded at build time by the EmbedFiles plugin.
    public static let all: [String: Asset] = Dictionary(
        uniqueKeysWithValues: EmbeddedFiles.all.map { file in
            let bytes = file.text.withUTF8Buffer { Array($0) }
            return (file.name, Asset(name: file.name, contentType: contentType(of: file.name), bytes: bytes))
        }
    )

    /// The media type a file is served with, from its extension (the plugin embeds only these four).
    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        default: "application/octet-stream"
        }
    }

    /// Call modes that ship with the gateway, by name → asset. Switched on with `CROW_CALLS_MODES`.
    public static let builtInModes: [String: String] = ["test-canvas": "mode-test-canvas.js"]
}
