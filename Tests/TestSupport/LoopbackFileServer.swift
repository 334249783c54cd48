import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 file server on 127.0.0.1 (an ephemeral port) for download tests: one thread per connection,
/// `Connection: close`, honours `Range: bytes=N-` (206). It can cut responses short (a truncated transfer) and send
/// bodies slowly (so that a client killed at a random moment is usually in the middle of a transfer).
public final class LoopbackFileServer: @unchecked Sendable {
    public enum Behaviour: Sendable {
        /// Whole files; 206 for Range requests.
        case normal
        /// Every response announces the full length but sends only the first half, then closes.
        case truncateAlways
        /// The first response is cut in half; later ones are normal (Range honoured).
        case truncateFirst
    }

    public let port: UInt16
    private let socketFD: Int32
    private let files: [String: Data]
    private let behaviour: Behaviour
    /// Bytes per chunk and the pause after each chunk; nil: the body in one go.
    private let throttle: (chunk: Int, pause: useconds_t)?
    private let lock = NSLock()
    private var log: [(path: String, range: String?)] = []
    private let finished = DispatchSemaphore(value: 0)

    /// The requests seen so far, in arrival order: path and `Range` header value.
    public var requests: [(path: String, range: String?)] { lock.withLock { log } }

    /// Serves `files` (URL path without the leading slash → bytes), at about `bytesPerSecond` when given.
    public init(files: [String: Data], behaviour: Behaviour = .normal, bytesPerSecond: Int? = nil) throws {
        self.files = files
        self.behaviour = behaviour
        throttle = bytesPerSecond.map { (chunk: max(1024, $0 / 50), pause: 20_000) }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socketFD = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread { [self] in acceptLoop() }.start()
    }

    /// `http://127.0.0.1:<port>/<path>`.
    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(path)")! }

    public func stop() {
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        _ = finished.wait(timeout: .now() + 5)
    }

    private func acceptLoop() {
        defer { finished.signal() }
        while true {
            let client = accept(socketFD, nil, nil)
            if client < 0 { return }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            Thread { [self] in
                handle(client)
                close(client)
            }.start()
        }
    }

    private func handle(_ client: Int32) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !(request.count >= 4 && Array(request.suffix(4)) == [13, 10, 13, 10]) && request.count < 65536 {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            request.append(contentsOf: buffer[0..<n])
        }
        let lines = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        let path = String(parts[1].dropFirst())
        let range = lines.first { $0.lowercased().hasPrefix("range:") }
            .map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
        let index: Int = lock.withLock {
            log.append((path, range))
            return log.count
        }
        guard let body = files[path] else {
            send(client, Data("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        let cut = behaviour == .truncateAlways || (behaviour == .truncateFirst && index == 1)
        let head: String, part: Data
        if let range, range.hasPrefix("bytes="), range.hasSuffix("-"), let start = Int(range.dropFirst(6).dropLast()),
           start < body.count {
            part = body.subdata(in: start..<body.count)
            head = "HTTP/1.1 206 Partial Content\r\nContent-Length: \(part.count)\r\n"
                + "Content-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\nConnection: close\r\n\r\n"
        } else {
            part = body
            head = "HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        }
        guard send(client, Data(head.utf8)) else { return }
        let sent = cut ? part.prefix(part.count / 2) : part
        guard let throttle else {
            send(client, sent)
            return
        }
        var offset = sent.startIndex
        while offset < sent.endIndex {
            let end = min(offset + throttle.chunk, sent.endIndex)
            guard send(client, sent.subdata(in: offset..<end)) else { return }
            offset = end
            if offset < sent.endIndex { usleep(throttle.pause) }
        }
    }

    @discardableResult
    private func send(_ client: Int32, _ data: Data) -> Bool {
        let bytes = [UInt8](data)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
