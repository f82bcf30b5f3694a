import OwnerStore
import HTTPTypes
import Hummingbird
import NIOCore

/// The small server-rendered pages of owner authentication (setup, login). No script, except the
/// gateway's own toast banner on the signed-in page; a strict CSP; every interpolated string goes
/// through `OwnerHTML.escape`.
enum OwnerHTML {
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    /// The signed-in page may run `/calls/toast.js` (and load its stylesheet and talk to the bell and
    /// the stream), nothing else.
    static let toastPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// Text for element content and double-quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A complete page. `body` is trusted markup built by this file's callers from escaped parts.
    static func page(
        title: String,
        body: String,
        status: HTTPResponse.Status = .ok,
        headers extra: HTTPFields = [:],
        toast: Bool = false
    ) -> Response {
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="same-origin">
            <title>\(escape(title)) · Crow Calls</title>
            \(toast ? "<script src=\"/calls/toast.js\" defer></script>" : "")
            <style>
            body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1b1b1f;background:#f7f7f9}
            h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}
            input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #aaa;border-radius:6px}
            button{margin-top:1rem;padding:.5rem 1.2rem;font:inherit;border:0;border-radius:6px;background:#2d4fd6;color:#fff}
            .error{color:#a4161a;background:#fde8e8;padding:.5rem .8rem;border-radius:6px}
            .note{color:#555}
            @media (prefers-color-scheme:dark){body{background:#16161a;color:#e6e6ea}input{background:#222;color:inherit}.note{color:#aaa}}
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            \(body)
            </body>
            </html>

            """
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = toast ? toastPolicy : contentSecurityPolicy
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null` on the
        // page's own form posts. Either way no other site learns a page's URL (the setup link's token).
        headers[referrerPolicy] = "same-origin"
        headers[frameOptions] = "DENY"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func errorBlock(_ message: String?) -> String {
        guard let message else { return "" }
        return "<p class=\"error\" role=\"alert\">\(escape(message))</p>"
    }

    // MARK: - Pages

    /// The public-address part of the setup form.
    enum SetupAddress {
        /// `CROW_GATEWAY_URL` sets it: shown, not asked.
        case configured(String)
        /// Asked, prefilled with `value`; `suggestions` are offered in a list.
        case field(value: String, suggestions: [String])
    }

    static func setupForm(
        token: String,
        address: SetupAddress,
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let addressPart: String
        switch address {
        case .configured(let url):
            addressPart = """
                <p class="note">Invites and guest links use <code>\(escape(url))</code>, set by <code>CROW_GATEWAY_URL</code>.</p>
                """
        case .field(let value, let suggestions):
            let options = suggestions.map { "<option value=\"\(escape($0))\"></option>" }.joined()
            addressPart = """
                <label for="address">Address other people reach this gateway at</label>
                <input id="address" name="address" type="url" inputmode="url" maxlength="\(PublicAddressRule.maxLength)" value="\(escape(value))" placeholder="https://calls.example.net" list="address-suggestions" spellcheck="false" autocapitalize="off">
                <datalist id="address-suggestions">\(options)</datalist>
                <p class="note">Invites and guest links carry it, so it must work from other people's computers: not <code>localhost</code> or <code>127.0.0.1</code>. Leave it empty to set it later in the panel's settings; until then, calls to contacts are not sent.</p>
                """
        }
        return page(
            title: "Set the owner password",
            body: """
                <p class="note">Choose the password that protects this gateway. This link works once.</p>
                \(errorBlock(error))
                <form method="post" action="/setup">
                <input type="hidden" name="token" value="\(escape(token))">
                <label for="password">Password (at least \(OwnerPasswordHasher.minimumLength) characters)</label>
                <input id="password" name="password" type="password" autocomplete="new-password" minlength="\(OwnerPasswordHasher.minimumLength)" required autofocus>
                <label for="confirm">Repeat the password</label>
                <input id="confirm" name="confirm" type="password" autocomplete="new-password" minlength="\(OwnerPasswordHasher.minimumLength)" required>
                \(addressPart)
                <button type="submit">Set password and sign in</button>
                </form>
                """,
            status: status
        )
    }

    static func setupInvalid() -> Response {
        page(
            title: "Setup link not valid",
            body: """
                <p>This setup link is not valid: it was already used, or the gateway was restarted since it was printed.</p>
                <p class="note">Restart <code>crow-calls serve</code> to get a new one.</p>
                """,
            status: .notFound
        )
    }

    static func alreadySetUp() -> Response {
        page(
            title: "Already set up",
            body: "<p>The owner password is already set.</p><p><a href=\"/login\">Sign in</a></p>",
            status: .gone
        )
    }

    static func login(
        error: String? = nil,
        signedIn: Bool = false,
        ownerExists: Bool = true,
        status: HTTPResponse.Status = .ok,
        headers: HTTPFields = [:]
    ) -> Response {
        if signedIn {
            return page(
                title: "Signed in",
                body: """
                    <p>You are signed in to this gateway.</p>
                    <p><a href="/calls">Open Calls</a></p>
                    <form method="post" action="/logout"><button type="submit">Sign out</button></form>
                    """,
                status: status,
                headers: headers,
                toast: true
            )
        }
        let notice =
            ownerExists
            ? "" : "<p class=\"note\">No owner password is set yet: open the setup link that <code>crow-calls serve</code> printed.</p>"
        return page(
            title: "Sign in",
            body: """
                \(notice)
                \(errorBlock(error))
                <form method="post" action="/login">
                <label for="password">Owner password</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
                <button type="submit">Sign in</button>
                </form>
                """,
            status: status,
            headers: headers
        )
    }

    static func message(_ title: String, _ text: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        page(title: title, body: "<p>\(escape(text))</p>", status: status, headers: headers)
    }
}

extension OwnerHTML {
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
