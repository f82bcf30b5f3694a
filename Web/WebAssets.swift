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
    /// `sw.js` only at `/calls/sw.js`).
    public static let all: [String: Asset] = {
        let files: [(String, String, [UInt8])] = [
            ("call.html", "text/html; charset=utf-8", PackageResources.call_html),
            ("panel.html", "text/html; charset=utf-8", PackageResources.panel_html),
            ("check.html", "text/html; charset=utf-8", PackageResources.check_html),
            ("calls.css", "text/css; charset=utf-8", PackageResources.calls_css),
            ("toast.css", "text/css; charset=utf-8", PackageResources.toast_css),
            ("common.js", "text/javascript; charset=utf-8", PackageResources.common_js),
            ("safe-url.js", "text/javascript; charset=utf-8", PackageResources.safe_url_js),
            ("call.js", "text/javascript; charset=utf-8", PackageResources.call_js),
            ("mesh.js", "text/javascript; charset=utf-8", PackageResources.mesh_js),
            ("quality.js", "text/javascript; charset=utf-8", PackageResources.quality_js),
            ("media.js", "text/javascript; charset=utf-8", PackageResources.media_js),
            ("panel.js", "text/javascript; charset=utf-8", PackageResources.panel_js),
            ("check.js", "text/javascript; charset=utf-8", PackageResources.check_js),
            ("toast.js", "text/javascript; charset=utf-8", PackageResources.toast_js),
            ("sw.js", "text/javascript; charset=utf-8", PackageResources.sw_js),
            ("icon.svg", "image/svg+xml", PackageResources.icon_svg),
            ("mode-test-canvas.js", "text/javascript; charset=utf-8", PackageResources.mode_test_canvas_js),
        ]
        return Dictionary(uniqueKeysWithValues: files.map { ($0.0, Asset(name: $0.0, contentType: $0.1, bytes: $0.2)) })
    }()

    /// Call modes that ship with the gateway, by name → asset. Switched on with `CROW_CALLS_MODES`.
    public static let builtInModes: [String: String] = ["test-canvas": "mode-test-canvas.js"]
}
