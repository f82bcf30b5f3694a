import CrowSecurity
import Testing

/// `IPAddressBytes.text` is the inverse of the parsers: the system's usual text for 4 or 16 bytes.
@Suite struct IPAddressBytesTests {
    @Test(arguments: ["127.0.0.1", "100.64.0.7", "0.0.0.0", "::1", "fd7a:115c:a1e0::1", "2001:db8::ff00:42:8329", "::ffff:192.0.2.1"])
    func textIsTheParsersInverse(_ address: String) throws {
        let bytes = try #require(IPAddressBytes.ipv4(address) ?? IPAddressBytes.ipv6(address))
        #expect(IPAddressBytes.text(bytes) == address)
    }

    @Test func longFormsComeBackCompressedAndOtherLengthsAreRefused() {
        #expect(IPAddressBytes.ipv6("2001:0db8:0000:0000:0000:0000:0000:0001").flatMap(IPAddressBytes.text) == "2001:db8::1")
        #expect(IPAddressBytes.text([]) == nil)
        #expect(IPAddressBytes.text([127, 0, 0]) == nil)
        #expect(IPAddressBytes.text(Array(repeating: 0, count: 5)) == nil)
    }
}
