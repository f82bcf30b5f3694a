import OwnerStore
import Testing

/// Which addresses may be the gateway's public address: the one every invite and guest link carries.
@Suite struct PublicAddressRuleTests {
    @Test(arguments: [
        ("https://calls.example.net", "https://calls.example.net"),
        ("HTTPS://Calls.Example.NET/", "https://calls.example.net"),
        ("https://calls.example.net:443", "https://calls.example.net"),
        ("https://192.168.1.20:8444", "https://192.168.1.20:8444"),
        ("https://10.77.0.2:8444/", "https://10.77.0.2:8444"),
        ("  https://[2001:db8::5]:8444  ", "https://[2001:db8::5]:8444"),
        ("http://100.101.102.103:8444", "http://100.101.102.103:8444"),
        ("http://ada.tail1234.ts.net:8444", "http://ada.tail1234.ts.net:8444"),
        ("https://ada.tail1234.ts.net", "https://ada.tail1234.ts.net"),
    ])
    func acceptsAddressesOthersCanReach(text: String, normalized: String) throws {
        #expect(try PublicAddressRule.normalize(text) == normalized)
    }

    @Test(arguments: [
        "https://127.0.0.1:8444",
        "http://127.0.0.1:8444",
        "https://127.8.9.10",
        "https://localhost:8444",
        "https://calls.localhost",
        "https://[::1]:8444",
        "https://[::ffff:127.0.0.1]:8444",
        "https://0.0.0.0:8444",
        "https://[::]:8444",
        "https://169.254.169.254",
        "https://[fe80::1]:8444",
        "https://224.0.0.1",
    ])
    func refusesThisMachinesOwnAddresses(text: String) {
        #expect(throws: OwnerError.self) { try PublicAddressRule.normalize(text) }
        do {
            _ = try PublicAddressRule.normalize(text)
        } catch {
            #expect(error.code == "invalid_public_address")
            #expect(error.description.contains("own address"), "\(error.description)")
        }
    }

    @Test(arguments: [
        "",
        "   ",
        "calls.example.net",
        "javascript:alert(1)",
        "ftp://calls.example.net",
        "http://calls.example.net",
        "http://192.168.1.20:8444",
        "https://calls.example.net/crow",
        "https://calls.example.net/?a=b",
        "https://calls.example.net/#x",
        "https://ada:secret@calls.example.net",
        "https://calls.example.net:0",
        "https://calls.example.net:99999",
        "https://calls example.net",
        "https://calls.example.net\\@evil.example",
        "https://" + String(repeating: "a", count: 200) + ".net",
    ])
    func refusesWhatIsNotABaseURL(text: String) {
        #expect(throws: OwnerError.self) { try PublicAddressRule.normalize(text) }
    }

    @Test func blankMeansNoAddress() throws {
        #expect(try PublicAddressRule.checked(nil) == nil)
        #expect(try PublicAddressRule.checked("  ") == nil)
        #expect(try PublicAddressRule.checked("https://calls.example.net/") == "https://calls.example.net")
    }
}
