@testable import CrowSecurity
import Testing


@Suite("TextRules.displayName")
struct DisplayNameTests {
    @Test(arguments: [
        // Ordinary names pass through.
        ("Alice", "Alice"),
        ("Zoë O'Brien-Łukasz", "Zoë O'Brien-Łukasz"),
        ("李小龍", "李小龍"),
        // White space of any kind is folded to one space and trimmed.
        ("  Alice   Smith  ", "Alice Smith"),
        ("Alice\tSmith\nJr\r\nIII", "Alice Smith Jr III"),
        ("Alice\u{00A0}\u{3000}Smith", "Alice Smith"),
        ("Alice\u{2028}Smith\u{2029}", "Alice Smith"),
        // C0/C1 control characters are removed.
        ("Al\u{0000}ice\u{0007}\u{001B}[31m", "Alice[31m"),
        ("Bob\u{007F}\u{0090}", "Bob"),
        // Bidi embeddings, overrides, isolates and marks are removed (the "evil.exe" / "gpj.exe" trick).
        ("\u{202E}Alice\u{202C}", "Alice"),
        ("Invoice\u{202E}fdp.exe", "Invoicefdp.exe"),
        ("\u{202A}\u{202B}\u{202D}Bob\u{2066}\u{2067}\u{2068}\u{2069}", "Bob"),
        ("\u{200E}Carol\u{200F}\u{061C}", "Carol"),
        // Zero-width and other invisible format characters are removed.
        ("Ali\u{200B}ce\u{FEFF}", "Alice"),
        ("Da\u{2060}ve\u{200C}\u{00AD}", "Dave"),
        ("Eve\u{E0041}\u{E007F}", "Eve"),
        // Private-use and unassigned code points are removed.
        ("Bob\u{E000}\u{F8FF}", "Bob"),
        ("Bob\u{10FFFD}\u{0378}", "Bob"),
        // Hidden characters between words do not swallow the space.
        ("Alice \u{202E}\u{200B} Smith", "Alice Smith"),
        // Markup is text: escaping is the renderer's job.
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("&lt;b&gt;", "&lt;b&gt;"),
        // Emoji sequences keep their zero-width joiners.
        ("👨‍👩‍👧 Family", "👨‍👩‍👧 Family"),
        ("🏳️‍🌈", "🏳️‍🌈"),
    ])
    func hostileNamesAreCleaned(raw: String, shown: String) {
        #expect(TextRules.displayName(raw, fallback: "Guest") == shown)
    }

    @Test(arguments: [
        "",
        " ",
        "\t\n\r\n \u{00A0}\u{3000}",
        "\u{0000}\u{0007}\u{001B}",
        "\u{202E}\u{202C}\u{2066}\u{2069}",
        "\u{200B}\u{200C}\u{FEFF}\u{2060}",
        "\u{E000}\u{F8FF}",
        " \u{202E} \u{200B} ",
    ])
    func namesThatCleanToNothingFallBack(raw: String) {
        #expect(TextRules.displayName(raw, fallback: "Guest") == "Guest")
    }

    @Test(arguments: [
        "\u{200D}",
        "\u{200D}\u{200D}\u{200D}",
        " \u{200D} \u{200D} ",
        "\u{FE0F}",
        "\u{3164}",
        "\u{115F}\u{1160}",
        "\u{FFA0}",
        "\u{034F}",
    ])
    func namesOfOnlyInvisibleJoinersOrFillersFallBack(raw: String) {
        // A lone zero-width joiner (kept elsewhere for emoji), a lone variation selector or a Hangul filler
        // renders as nothing: such a caller must not appear nameless.
        #expect(TextRules.displayName(raw, fallback: "Guest") == "Guest")
    }

    @Test func invisibleFillersBetweenWordsDoNotLeaveABlankWord() {
        #expect(TextRules.displayName("Ann \u{3164} Lee", fallback: "Guest") == "Ann Lee")
        #expect(TextRules.displayName("Ann\u{200B} \u{200D}\u{200D} Lee", fallback: "Guest") == "Ann Lee")
    }

    @Test func longNamesAreCappedAt64Characters() {
        #expect(TextRules.maxDisplayName == 64)
        let exact = String(repeating: "n", count: 64)
        #expect(TextRules.displayName(exact, fallback: "Guest") == exact)
        #expect(TextRules.displayName(exact + "X", fallback: "Guest") == exact)
        #expect(TextRules.displayName(String(repeating: "n", count: 100_000), fallback: "Guest") == exact)
    }

    @Test func capCountsCharactersNotBytesOrScalars() {
        let family = "👨‍👩‍👧"
        let name = TextRules.displayName(String(repeating: family, count: 100), fallback: "Guest")
        #expect(name == String(repeating: family, count: 64))
        #expect(name.count == 64)
    }

    @Test func cappedNameNeverEndsWithASpace() {
        // 63 letters, a space, then more: the space would be the 64th character and nothing may follow it.
        let raw = String(repeating: "a", count: 63) + " bcd"
        #expect(TextRules.displayName(raw, fallback: "Guest") == String(repeating: "a", count: 63))
        let words = String(repeating: "word ", count: 40)
        let name = TextRules.displayName(words, fallback: "Guest")
        #expect(name.count <= 64)
        #expect(!name.hasSuffix(" "))
        #expect(!name.contains("  "))
    }

    @Test func hiddenCharactersDoNotCountTowardsTheCap() {
        let raw = String(repeating: "\u{200B}", count: 500) + "Visible"
        #expect(TextRules.displayName(raw, fallback: "Guest") == "Visible")
    }

    @Test func manyMarkedLettersStayWithinTheByteCap() {
        let raw = String(repeating: "a" + String(repeating: "\u{0301}", count: 9), count: 64)
        let name = TextRules.displayName(raw, fallback: "Guest")
        #expect(name.utf8.count <= TextRules.maxDisplayName * TextRules.maxScalarsPerCharacter * 4)
        #expect(name.count == 64)
    }

    @Test func longEmojiSequencesSurviveTheScalarCap() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"
        #expect(TextRules.displayName("Ada \(family)", fallback: "Guest") == "Ada \(family)")
    }

    @Test func stackedCombiningMarksCannotInflateACappedName() {
        // One base letter with thousands of combining marks is a single Character, so a 64-character cap
        // alone lets a hostile name grow without bound in bytes (and in height when rendered).
        let zalgo = "Z" + String(repeating: "\u{0301}", count: 10_000)
        let name = TextRules.displayName(zalgo, fallback: "Guest")
        #expect(name.utf8.count <= TextRules.maxDisplayName * TextRules.maxScalarsPerCharacter * 4)
        #expect(Array(name.unicodeScalars.prefix(2)) == ["Z", "\u{0301}"])
        #expect(name.unicodeScalars.count <= TextRules.maxScalarsPerCharacter)
    }
}

@Suite("TextRules.clean")
struct CleanTests {
    @Test(arguments: [
        ("a b c", 0, ""),
        ("a b c", 1, "a"),
        ("a b c", 2, "a"),
        ("a b c", 3, "a b"),
        ("a b c", 5, "a b c"),
        ("  x  ", 10, "x"),
        ("\u{202E}\u{202E}abc", 2, "ab"),
    ])
    func limitCountsKeptCharactersIncludingFoldedSpaces(raw: String, limit: Int, cleaned: String) {
        #expect(TextRules.clean(raw, limit: limit) == cleaned)
    }

    @Test func isHiddenClassifiesScalars() {
        let hidden: [Unicode.Scalar] = [
            "\u{0000}", "\u{001F}", "\u{007F}", "\u{0085}", "\u{200B}", "\u{202E}", "\u{2066}", "\u{FEFF}", "\u{E000}",
            "\u{2028}", "\u{2029}",
        ]
        let shown: [Unicode.Scalar] = ["a", "Z", "0", " ", "\u{200D}", "é", "李", "😀", "\u{0301}"]
        for scalar in hidden { #expect(TextRules.isHidden(scalar), "U+\(String(scalar.value, radix: 16))") }
        for scalar in shown { #expect(!TextRules.isHidden(scalar), "U+\(String(scalar.value, radix: 16))") }
    }
}

@Suite("TextRules.isHex64 / isRoomCode")
struct IdentifierRulesTests {
    @Test(arguments: [
        String(repeating: "0", count: 64),
        String(repeating: "0123456789abcdef", count: 4),
        String(repeating: "f", count: 64),
    ])
    func lowercaseHex64IsAccepted(text: String) {
        #expect(TextRules.isHex64(text))
    }

    @Test(arguments: [
        "",
        String(repeating: "a", count: 63),
        String(repeating: "a", count: 65),
        String(repeating: "A", count: 64),
        String(repeating: "0123456789ABCDEF", count: 4),
        String(repeating: "g", count: 64),
        String(repeating: "a", count: 63) + " ",
        String(repeating: "a", count: 62) + "é",  // 64 bytes, 63 characters
        " " + String(repeating: "a", count: 63),
        "0x" + String(repeating: "a", count: 62),
        "npub1" + String(repeating: "q", count: 59),
    ])
    func anythingElseIsNotHex64(text: String) {
        #expect(!TextRules.isHex64(text))
    }

    @Test(arguments: ["a", "Z", "0", "-", "_", "Rk7-q_2x", "ABC-def_123", String(repeating: "x", count: 64)])
    func roomCodesOfLettersDigitsDashUnderscoreAreAccepted(text: String) {
        #expect(TextRules.isRoomCode(text))
    }

    @Test(arguments: [
        "",
        String(repeating: "x", count: 65),
        "a b",
        "a/b",
        "a.b",
        "../etc",
        "a%20b",
        "a+b",
        "é",
        "ａｂｃ",  // full-width letters
        "abc\u{0000}",
        "abc\n",
        "<script>",
        "١٢٣",  // Arabic-Indic digits
    ])
    func anythingElseIsNotARoomCode(text: String) {
        #expect(!TextRules.isRoomCode(text))
    }
}

@Suite("TextRules.isSafeJoinURL")
struct JoinURLTests {
    @Test(arguments: [
        "https://example.com/calls?room=abc&token=xyz",
        "HTTPS://Example.COM/calls",
        "https://example.com",
        "https://example.com:8443/calls#frag",
        "https://[2001:db8::1]:443/calls",
        "https://xn--bcher-kva.example/calls",
        "http://localhost/calls",
        "HTTP://LOCALHOST:3000/calls?room=a",
        "http://127.0.0.1:8080/calls",
        "http://127.255.255.254/",
        "http://[::1]:8080/calls",
        "http://crow.tail1234.ts.net/calls",
        "http://crow.tail1234.ts.net:8080",
        "http://100.64.0.1/calls",
        "http://100.127.255.255/",
        "http://100.100.100.100?room=x",
    ])
    func httpsAnywhereOrHTTPToLoopbackAndTailnetIsSafe(url: String) {
        #expect(TextRules.isSafeJoinURL(url))
    }

    @Test(arguments: [
        // Not a web URL at all.
        "",
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "javascript://example.com/%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "ftp://example.com/",
        "ws://localhost/",
        "//example.com/calls",
        "example.com/calls",
        "https:example.com",
        "https:/example.com",
        // Plain http on the internet or a private LAN.
        "http://example.com/calls",
        "http://10.0.0.1/calls",
        "http://192.168.1.1/calls",
        "http://100.63.255.255/",
        "http://100.128.0.1/",
        "http://128.0.0.1/",
        // Look-alike loopback and tailnet hosts.
        "http://127.0.0.1.evil.com/",
        "http://localhost.evil.com/",
        "http://evil.com/.ts.net",
        "http://ts.net.evil.com/",
        "http://evil-ts.net/",
        "http://evil.com?.ts.net",
        "http://evil.com#.ts.net",
        "http://127.1/",
        "http://127.0.0/",
        "http://127.0.0.1.1/",
        "http://127.0.0.256/",
        "http://[::ffff:7f00:1]/",
        "http://::1/",
        // Leading zeros are octal to a browser: 0127.0.0.1 is 87.0.0.1, 100.077.0.1 is 100.63.0.1.
        "http://0127.0.0.1/",
        "http://100.077.0.1/",
        "http://0100.64.0.1/",
        "http://+127.0.0.1/",
        "http://0x7f.0.0.1/",
        // User info hides the real host.
        "http://localhost@evil.com/",
        "http://localhost:80@evil.com/",
        "https://user:pass@example.com/",
        "https://@example.com/",
        // No host.
        "https://",
        "https:///calls",
        "https://:443/calls",
        "https://?room=x",
        "https://#x",
        "https://[::1",
        "https://[]/",
        // White space and backslashes (browsers strip or rewrite them).
        " https://example.com/",
        "https://example.com/ ",
        "https://exa mple.com/",
        "https://example.com/\tx",
        "https://example.com/\nx",
        "http://localhost\\@evil.com/",
        "https://example.com\\calls",
    ])
    func everythingElseIsRefused(url: String) {
        #expect(!TextRules.isSafeJoinURL(url))
    }

    @Test func lengthIsCappedAt2048Bytes() {
        let prefix = "https://example.com/"
        let atLimit = prefix + String(repeating: "a", count: TextRules.maxURL - prefix.utf8.count)
        #expect(atLimit.utf8.count == 2048)
        #expect(TextRules.isSafeJoinURL(atLimit))
        #expect(!TextRules.isSafeJoinURL(atLimit + "a"))
        #expect(!TextRules.isSafeJoinURL(prefix + String(repeating: "é", count: 1_020)))
    }
}

@Suite("ConstantTime.equals")
struct ConstantTimeTests {
    @Test(arguments: [
        ("", ""),
        ("a", "a"),
        (String(repeating: "ab", count: 32), String(repeating: "ab", count: 32)),
        ("héllo 😀", "héllo 😀"),
    ])
    func equalStringsAreEqual(a: String, b: String) {
        #expect(ConstantTime.equals(a, b))
    }

    @Test(arguments: [
        ("", "a"),
        ("a", ""),
        ("a", "b"),
        ("abc", "abd"),
        ("xbc", "abc"),
        ("abc", "abcd"),
        ("abcd", "abc"),
        ("ABC", "abc"),
        ("é", "e\u{0301}"),  // canonically equivalent, different bytes: secrets compare as bytes
        (String(repeating: "a", count: 64), String(repeating: "a", count: 63) + "b"),
        // Length differences that are multiples of 256 vanish when truncated to a byte.
        ("", String(repeating: "a", count: 256)),
        ("abc", "abc" + String(repeating: "\u{0}", count: 512)),
    ])
    func differentStringsAreNotEqual(a: String, b: String) {
        #expect(!ConstantTime.equals(a, b))
        #expect(!ConstantTime.equals(b, a))
    }

    @Test func everyDifferingPositionIsNoticed() {
        let secret = String(repeating: "0123456789abcdef", count: 4)
        let bytes = Array(secret.utf8)
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(!ConstantTime.equals(secret, String(decoding: changed, as: UTF8.self)), "byte \(index)")
        }
    }
}
