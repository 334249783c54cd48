import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 file server on 127.0.0.1 (ephemeral port) that sends bodies slowly, so that a client
/// killed at a random moment is usually in the middle of a transfer. One thread per connection,
/// `Connection: close`, honours `Range: bytes=N-` (206). Used by the `datasets fetch` kill test.
final class ThrottledFileServer: @unchecked Sendable {
    let port: UInt16
    private let socketFD: Int32
    private let files: [String: Data]
    /// Bytes per chunk and pause after each chunk.
    private let chunk: Int
    private let pause: useconds_t
    private let lock = NSLock()
    private var counts = (requests: 0, ranged: 0)
    private let finished = DispatchSemaphore(value: 0)

    /// Requests served so far, and how many of them asked for a range (resumed downloads).
    var requestCounts: (requests: Int, ranged: Int) { lock.withLock { counts } }

    /// Serves `files` (URL path without the leading slash → bytes) at about `bytesPerSecond`.
    init(files: [String: Data], bytesPerSecond: Int) throws {
        self.files = files
        chunk = max(1024, bytesPerSecond / 50)
        pause = 20_000
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
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

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
        lock.withLock {
            counts.requests += 1
            if range != nil { counts.ranged += 1 }
        }
        guard let body = files[path] else {
            send(client, Data("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return
        }
        if let range, range.hasPrefix("bytes="), range.hasSuffix("-"), let start = Int(range.dropFirst(6).dropLast()),
           start < body.count {
            let head = "HTTP/1.1 206 Partial Content\r\nContent-Length: \(body.count - start)\r\n"
                + "Content-Range: bytes \(start)-\(body.count - 1)/\(body.count)\r\nConnection: close\r\n\r\n"
            guard send(client, Data(head.utf8)) else { return }
            slowly(client, body.subdata(in: start..<body.count))
            return
        }
        guard send(client, Data("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)) else { return }
        slowly(client, body)
    }

    private func slowly(_ client: Int32, _ body: Data) {
        var offset = 0
        while offset < body.count {
            let end = min(offset + chunk, body.count)
            guard send(client, body.subdata(in: offset..<end)) else { return }
            offset = end
            if offset < body.count { usleep(pause) }
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
