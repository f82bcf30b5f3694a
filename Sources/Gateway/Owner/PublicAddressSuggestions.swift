import CrowSecurity
import Foundation
import Logging
import NIOPosix
import OwnerStore
import SwiftASN1
import Synchronization
import X509

/// Candidates for the public address, offered in setup and in the panel, best first:
/// - the host the owner's browser used, when it is not this machine's own (the owner opened the page
///   from another computer, or by a name);
/// - the names and addresses in the TLS certificate the gateway serves;
/// - the machine's Tailscale name, when `tailscale` is installed and logged in.
///
/// Each is checked by `PublicAddressRule`; what it refuses is not offered.
final class PublicAddressSuggestions: Sendable {
    let secure: Bool
    let listeningPort: Int
    /// Hosts named in the TLS certificate, read once at start.
    let certificateHosts: [String]
    /// The `tailscale` executable, if any.
    let tailscale: String?
    /// The tailnet name once asked (nil inside: asked, and there is none).
    private let tailnetName: Mutex<String??>

    init(configuration: GatewayConfiguration, tailscale: String? = PublicAddressSuggestions.findOnPath("tailscale"), logger: Logger) {
        secure = configuration.tlsCertificate != nil
        listeningPort = configuration.port
        certificateHosts = configuration.tlsCertificate.map { Self.certificateHosts(path: $0, logger: logger) } ?? []
        self.tailscale = tailscale
        tailnetName = Mutex(tailscale == nil ? .some(nil) : nil)
    }

    /// `authority` is the Host the request came with; `https`, whether it came over HTTPS through a
    /// trusted proxy (the gateway's own TLS counts anyway).
    func suggestions(authority: String?, https: Bool = false) async -> [String] {
        let scheme = secure || https ? "https" : "http"
        var candidates: [String] = []
        var port = listeningPort
        if let authority, let parsed = URLComponents(string: "\(scheme)://\(authority)") {
            if let requestPort = parsed.port { port = requestPort } else { port = secure ? 443 : 80 }
            candidates.append("\(scheme)://\(authority)")
        }
        for host in certificateHosts {
            candidates.append("https://\(host):\(port)")
        }
        if let name = await tailnet() {
            candidates.append("\(scheme)://\(name):\(port)")
        }
        var seen = Set<String>()
        return candidates.compactMap { try? PublicAddressRule.normalize($0) }.filter { seen.insert($0).inserted }
    }

    /// The machine's name on its tailnet (`tailscale status --json`, `Self.DNSName`), asked once, with a
    /// three-second limit, on NIO's blocking pool (whose threads are its own, apart from the
    /// cooperative pool and dispatch's).
    func tailnet() async -> String? {
        if let known = tailnetName.withLock({ $0 }) { return known }
        guard let tailscale else { return nil }
        let name = try? await NIOThreadPool.singleton.runIfActive { Self.askTailscale(tailscale) }
        let found = name ?? nil
        tailnetName.withLock { $0 = .some(found) }
        return found
    }

    static func askTailscale(_ executable: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["status", "--json"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        // Read what it prints (at most 1 MiB) until it closes its output or three seconds pass; a
        // `tailscale` that hangs is killed. poll(2) with the time left, on this thread, and no timer
        // elsewhere: nothing here waits on a thread that someone else may be holding.
        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = ContinuousClock.now + .seconds(3)
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var timedOut = false
        while data.count < 1 << 20 {
            let left = deadline - ContinuousClock.now
            if left <= .zero {
                timedOut = true
                break
            }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let count = read(fd, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        if timedOut || data.count >= 1 << 20 { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let status = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any],
            let me = status["Self"] as? [String: Any],
            var name = me["DNSName"] as? String
        else { return nil }
        while name.hasSuffix(".") { name.removeLast() }
        return name.isEmpty ? nil : name.lowercased()
    }

    /// The DNS names (not wildcards) and IP addresses of the first certificate in a PEM file.
    static func certificateHosts(path: String, logger: Logger) -> [String] {
        do {
            let pem = try String(contentsOfFile: path, encoding: .utf8)
            guard let first = try PEMDocument.parseMultiple(pemString: pem).first(where: { $0.discriminator == "CERTIFICATE" }) else {
                return []
            }
            let certificate = try Certificate(pemDocument: first)
            var hosts: [String] = []
            guard let names = try certificate.extensions.subjectAlternativeNames else { return [] }
            for name in names {
                switch name {
                case .dnsName(let dns) where !dns.hasPrefix("*"):
                    hosts.append(dns.lowercased())
                case .ipAddress(let octets):
                    let bytes = Array(octets.bytes)
                    if let text = IPAddressBytes.text(bytes) {
                        hosts.append(bytes.count == 16 ? "[\(text)]" : text)
                    }
                default:
                    break
                }
            }
            return hosts
        } catch {
            logger.notice("could not read names from the TLS certificate", metadata: ["error": "\(error)"])
            return []
        }
    }

    static func findOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
