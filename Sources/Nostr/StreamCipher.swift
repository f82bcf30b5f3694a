import COpenSSL

/// The two ciphers Nostr needs from OpenSSL's libcrypto: ChaCha20 (RFC 8439, counter 0) for NIP-44,
/// and AES-256-CBC with PKCS#7 padding for NIP-04 (receive only).
enum StreamCipher {
    /// ChaCha20 of `input` with a 32-byte key and 12-byte nonce, counter starting at 0. Encryption and
    /// decryption are the same operation.
    static func chacha20(key: [UInt8], nonce: [UInt8], _ input: [UInt8]) -> [UInt8]? {
        guard key.count == 32, nonce.count == 12 else { return nil }
        // OpenSSL's 16-byte IV is the 32-bit little-endian block counter, then the 96-bit nonce.
        let iv: [UInt8] = [0, 0, 0, 0] + nonce
        return run(EVP_chacha20(), key: key, iv: iv, input, encrypt: true, padding: false)
    }

    static func aes256CBCDecrypt(key: [UInt8], iv: [UInt8], _ input: [UInt8]) -> [UInt8]? {
        guard key.count == 32, iv.count == 16, !input.isEmpty, input.count % 16 == 0 else { return nil }
        return run(EVP_aes_256_cbc(), key: key, iv: iv, input, encrypt: false, padding: true)
    }

    /// Encryption, for tests that play a NIP-04 sender (the gateway itself never sends NIP-04).
    static func aes256CBCEncryptForTests(key: [UInt8], iv: [UInt8], _ padded: [UInt8]) -> [UInt8]? {
        run(EVP_aes_256_cbc(), key: key, iv: iv, padded, encrypt: true, padding: false)
    }

    private static func run(
        _ cipher: OpaquePointer?,
        key: [UInt8],
        iv: [UInt8],
        _ input: [UInt8],
        encrypt: Bool,
        padding: Bool
    ) -> [UInt8]? {
        guard let context = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_CipherInit_ex(context, cipher, nil, key, iv, encrypt ? 1 : 0) == 1,
            EVP_CIPHER_CTX_set_padding(context, padding ? 1 : 0) == 1
        else { return nil }
        var output = [UInt8](repeating: 0, count: input.count + 32)
        var written: Int32 = 0
        var finished: Int32 = 0
        let ok = output.withUnsafeMutableBufferPointer { out -> Bool in
            guard EVP_CipherUpdate(context, out.baseAddress, &written, input, Int32(input.count)) == 1 else { return false }
            return EVP_CipherFinal_ex(context, out.baseAddress! + Int(written), &finished) == 1
        }
        guard ok else { return nil }
        return Array(output.prefix(Int(written + finished)))
    }
}
