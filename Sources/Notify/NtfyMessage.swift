import Foundation

/// One ntfy publish (`POST <server>/<topic>`): the message as the body, the rest as headers. Header
/// values must be ASCII, so a title with other characters is sent as an RFC 2047 encoded word, which
/// ntfy decodes.
public struct NtfyMessage: Sendable {
    /// Name and value, in order.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(_ notice: CallNotice, token: String?) {
        var headers: [(String, String)] = [
            ("Title", Self.headerText(notice.title)),
            ("Priority", notice.kind == .ringing ? "5" : "3"),
            ("Tags", notice.kind == .ringing ? "telephone_receiver" : notice.kind == .missed ? "telephone_receiver,x" : "white_check_mark"),
            ("Click", notice.clickURL),
            ("Content-Type", "text/plain; charset=utf-8"),
        ]
        if let token, !token.isEmpty { headers.append(("Authorization", "Bearer \(token)")) }
        self.headers = headers
        body = Array(notice.body.utf8)
    }

    /// `text` as is when it is printable ASCII, else `=?UTF-8?B?<base64>?=` (RFC 2047). Control
    /// characters never reach a header either way.
    public static func headerText(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.generalCategory != .control }))
        if cleaned.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) { return cleaned }
        return "=?UTF-8?B?\(Data(cleaned.utf8).base64EncodedString())?="
    }
}
