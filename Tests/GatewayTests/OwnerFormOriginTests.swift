import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

/// Which form posts the owner's pages accept, as browsers send them. Under a strict referrer policy a
/// browser sends `Origin: null` on a page's own form post; its `Sec-Fetch-Site` (which no page script can
/// set) then says whether the post came from the gateway's own pages.
@Suite struct OwnerFormOriginTests {
    typealias H = OwnerHarness

    static func form(origin: String?, site: String?, cookie: String? = nil) -> HTTPFields {
        var headers = H.form(origin: origin)
        if let site { headers[HTTPField.Name("Sec-Fetch-Site")!] = site }
        if let cookie { headers[.cookie] = "crow_session=\(cookie)" }
        return headers
    }

    @Test func sameOriginFormPostsAreAcceptedAndCrossSiteOnesRefused() async throws {
        let harness = try H()
        try await buildApplication(harness.configuration).test(.router) { client in
            // The owner's pages ask browsers to send their origin on their own posts.
            try await client.execute(uri: "/login", method: .get) { response in
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
                #expect(String(buffer: response.body).contains(#"<meta name="referrer" content="same-origin">"#))
            }
            // Setup from the printed link, as Chromium posts it under the old `no-referrer` page.
            let secret = try await harness.setupSecret()
            let setupBody = H.formBody(["token": secret, "password": H.password, "confirm": H.password])
            try await client.execute(uri: "/setup", method: .post, headers: Self.form(origin: "null", site: "cross-site"), body: setupBody) {
                #expect($0.status == .forbidden)
                #expect(H.errorCode($0) == "bad_origin")
            }
            let cookie = try await client.execute(uri: "/setup", method: .post, headers: Self.form(origin: "null", site: "same-origin"), body: setupBody) {
                response in
                #expect(response.status == .seeOther)
                return try #require(H.sessionCookie(response))
            }
            let login = H.formBody(["password": H.password])
            let refused: [(String?, String?)] = [
                ("null", nil),  // an opaque origin nobody vouches for
                ("null", "cross-site"),
                ("null", "same-site"),  // another port or subdomain of the same site is another origin
                (nil, "cross-site"),
                ("https://evil.example", "same-origin"),  // an Origin that names a place decides
                ("https://evil.example", nil),
            ]
            for (origin, site) in refused {
                try await client.execute(uri: "/login", method: .post, headers: Self.form(origin: origin, site: site), body: login) {
                    #expect($0.status == .forbidden, "\(origin ?? "none") \(site ?? "none")")
                }
            }
            let accepted: [(String?, String?)] = [("null", "same-origin"), (nil, "same-origin"), (H.origin, "same-origin"), (H.origin, nil), (nil, nil)]
            for (origin, site) in accepted {
                try await client.execute(uri: "/login", method: .post, headers: Self.form(origin: origin, site: site), body: login) {
                    #expect($0.status == .seeOther, "\(origin ?? "none") \(site ?? "none")")
                }
            }
            // A write with the session cookie follows the same rule.
            try await client.execute(uri: "/logout", method: .post, headers: Self.form(origin: "null", site: "cross-site", cookie: cookie), body: H.formBody([:])) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(cookie: cookie)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/logout", method: .post, headers: Self.form(origin: "null", site: "same-origin", cookie: cookie), body: H.formBody([:])) {
                #expect($0.status == .seeOther)
            }
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(cookie: cookie)) { #expect($0.status == .unauthorized) }
        }
    }
}
