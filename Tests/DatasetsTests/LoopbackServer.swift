import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 file server on 127.0.0.1 (an ephemeral port) for download tests: one connection at a time,
/// `Connection: close`, honours `Range: bytes=N-` unless told not to, and can cut responses short.
final class LoopbackServer: @unchecked Sendable {
    enum Behaviour {
        /// Whole files; 206 for Range requests.
        case normal
        /// Every response announces the full length but sends only the first half, then closes.
        case truncateAlways
        /// The first response is cut in half; later ones are normal (Range honoured).
        case truncateFirst
    }

    let port: UInt16
    private let socketFD: Int32
    private let files: [String: Data]
    private let behaviour: Behaviour
    private let lock = NSLock()
    private var log: [(path: String, range: String?)] = []
    private var served = 0
    private let finished = DispatchSemaphore(value: 0)

    /// The requests seen so far: path and `Range` header value.
    var requests: [(path: String, range: String?)] { lock.withLock { log } }

    init(files: [String: Data], behaviour: Behaviour = .normal) throws {
        self.files = files
        self.behaviour = behaviour
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
        guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socketFD = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// `http://127.0.0.1:<port>/<path>`.
    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)/\(path)")! }

    func stop() {
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
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.ends(with: [13, 10, 13, 10]) && request.count < 65536 {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { return }
            request.append(contentsOf: buffer[0..<n])
        }
        let lines = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        let path = String(parts[1].dropFirst())
        let range = lines.first { $0.lowercased().hasPrefix("range:") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
        let index: Int = lock.withLock {
            log.append((path, range))
            served += 1
            return served
        }
        guard let body = files[path] else {
            send(client, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", Data())
            return
        }
        let cut = behaviour == .truncateAlways || (behaviour == .truncateFirst && index == 1)
        if let range, range.hasPrefix("bytes="), range.hasSuffix("-"), let start = Int(range.dropFirst(6).dropLast()), start < body.count {
            let part = body.subdata(in: start..<body.count)
            let sent = cut ? part.prefix(part.count / 2) : part
            send(client, "HTTP/1.1 206 Partial Content\r\nContent-Length: \(part.count)\r\nContent-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\nConnection: close\r\n\r\n", Data(sent))
            return
        }
        let sent = cut ? body.prefix(body.count / 2) : body
        send(client, "HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n", Data(sent))
    }

    private func send(_ client: Int32, _ head: String, _ body: Data) {
        let bytes = [UInt8](Data(head.utf8) + body)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
