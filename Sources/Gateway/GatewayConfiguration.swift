import Foundation
public import Ledger

/// A setting that could not be used. The message names the setting, so the operator knows what to fix.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var setting: String
    public var value: String
    public var reason: String

    public init(setting: String, value: String, reason: String) {
        self.setting = setting
        self.value = value
        self.reason = reason
    }

    public var description: String { "invalid \(setting)=\"\(value)\": \(reason)" }
}

/// Everything the gateway is configured with (SPEC 12). Built from the environment, then from flags
/// (flags win), and checked as a whole before anything starts.
public struct GatewayConfiguration: Sendable {
    public var enabled = true
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port = 8444
    public var dataDirectory = "./data"
    /// Public base URL used in invite links; defaults to the listening address.
    public var gatewayURL: String?
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var maxPeers = 4
    /// Milliseconds.
    public var tokenTTL: Int64 = 86_400_000
    /// Milliseconds.
    public var ringWindow: Int64 = 60_000
    public var synchronous: SynchronousMode = .full

    public init() {}

    public var ledgerPath: String { (dataDirectory as NSString).appendingPathComponent("ledger.sqlite") }

    /// Reads the environment variables of SPEC 12.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        if let raw = value("CROW_CALLS_ENABLED") {
            switch raw.lowercased() {
            case "1", "true", "yes", "on": configuration.enabled = true
            case "0", "false", "no", "off": configuration.enabled = false
            default: throw ConfigurationError(setting: "CROW_CALLS_ENABLED", value: raw, reason: "use 1 or 0")
            }
        }
        if let raw = value("CROW_CALLS_HOST") { configuration.host = raw }
        if let raw = value("CROW_CALLS_PORT") {
            configuration.port = try parsePort(raw, setting: "CROW_CALLS_PORT")
        }
        if let raw = value("CROW_CALLS_DATA") { configuration.dataDirectory = raw }
        if let raw = value("CROW_GATEWAY_URL") { configuration.gatewayURL = raw }
        if let raw = value("CROW_CALLS_TLS_CERT") { configuration.tlsCertificate = raw }
        if let raw = value("CROW_CALLS_TLS_KEY") { configuration.tlsKey = raw }
        if let raw = value("CROW_CALLS_MAX_PEERS") {
            configuration.maxPeers = try parseInt(raw, setting: "CROW_CALLS_MAX_PEERS", range: 2...16)
        }
        if let raw = value("CROW_CALLS_TOKEN_TTL") {
            configuration.tokenTTL = Int64(try parseInt(raw, setting: "CROW_CALLS_TOKEN_TTL", range: 60...31_536_000)) * 1000
        }
        if let raw = value("CROW_CALLS_RING_WINDOW") {
            configuration.ringWindow = Int64(try parseInt(raw, setting: "CROW_CALLS_RING_WINDOW", range: 5...3600)) * 1000
        }
        if let raw = value("CROW_CALLS_SYNCHRONOUS") {
            guard let mode = SynchronousMode(rawValue: raw.uppercased()) else {
                throw ConfigurationError(setting: "CROW_CALLS_SYNCHRONOUS", value: raw, reason: "use FULL or NORMAL")
            }
            configuration.synchronous = mode
        }
        return configuration
    }

    /// Checks the combination of settings.
    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else {
            throw ConfigurationError(setting: "port", value: "\(port)", reason: "must be 0 to 65535")
        }
        guard !host.isEmpty else { throw ConfigurationError(setting: "host", value: host, reason: "must not be empty") }
        guard !dataDirectory.isEmpty else {
            throw ConfigurationError(setting: "data directory", value: dataDirectory, reason: "must not be empty")
        }
        guard (2...16).contains(maxPeers) else {
            throw ConfigurationError(setting: "CROW_CALLS_MAX_PEERS", value: "\(maxPeers)", reason: "must be 2 to 16")
        }
        if (tlsCertificate == nil) != (tlsKey == nil) {
            throw ConfigurationError(
                setting: tlsCertificate == nil ? "tls-cert" : "tls-key",
                value: "",
                reason: "a TLS certificate and key are given together"
            )
        }
        for path in [tlsCertificate, tlsKey].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: path) {
            throw ConfigurationError(setting: "TLS file", value: path, reason: "cannot be read")
        }
        if let gatewayURL {
            guard let url = URL(string: gatewayURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host != nil
            else {
                throw ConfigurationError(setting: "CROW_GATEWAY_URL", value: gatewayURL, reason: "must be an http(s) URL")
            }
        }
    }

    static func parsePort(_ raw: String, setting: String) throws(ConfigurationError) -> Int {
        try parseInt(raw, setting: setting, range: 0...65535)
    }

    static func parseInt(_ raw: String, setting: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let value = Int(raw) else {
            throw ConfigurationError(setting: setting, value: raw, reason: "must be a whole number")
        }
        guard range.contains(value) else {
            throw ConfigurationError(setting: setting, value: raw, reason: "must be \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
