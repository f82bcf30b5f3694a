import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain TCP connection to 127.0.0.1, as a file descriptor: for clients that speak the bytes
/// themselves (a peer that misbehaves on purpose, a benchmark that keeps the client's own cost out of
/// its figures). Only `close()` closes it: a test's socket stays open however early its last use.
public final class LoopbackSocket: @unchecked Sendable {
    public let fd: Int32
    private let closed = Mutex(false)

    /// Connects to `port`; `receiveBuffer` sets the socket's receive buffer (a slow reader).
    public init(port: Int, receiveBuffer: Int32? = nil) throws {
        #if os(Linux)
        let kind = Int32(SOCK_STREAM.rawValue)
        #else
        let kind = SOCK_STREAM
        #endif
        fd = socket(AF_INET, kind, 0)
        guard fd >= 0 else { throw HarnessError.failed("socket() failed: errno \(errno)") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            _ = systemClose(fd)
            throw HarnessError.failed("connect() to port \(port) failed: errno \(code)")
        }
    }

    /// Sends every byte (a peer that has gone raises an error, not SIGPIPE).
    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { systemSend(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw HarnessError.failed("send() failed: errno \(errno) after \(sent) of \(bytes.count) bytes") }
            sent += count
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Closes the descriptor (once; later calls do nothing).
    public func close() {
        let first = closed.withLock { done in
            defer { done = true }
            return !done
        }
        if first { _ = systemClose(fd) }
    }
}

private func systemClose(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.close(fd)
    #else
    Darwin.close(fd)
    #endif
}

private func systemSend(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int, _ flags: Int32) -> Int {
    #if canImport(Glibc)
    Glibc.send(fd, buffer, count, flags)
    #else
    Darwin.send(fd, buffer, count, flags)
    #endif
}
