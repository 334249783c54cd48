import Foundation
import Imaging
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Progress of one transfer, reported a few times per second.
public struct TransferProgress: Sendable {
    /// The file being fetched (its manifest path or archive name).
    public let name: String
    /// Bytes on disk so far, including what an earlier, interrupted attempt left.
    public let received: Int64
    /// Expected total size, when the manifest or the server says it.
    public let total: Int64?
}

/// HTTP(S) downloads with resume (HTTP Range), sha256 verification and atomic placement.
///
/// A transfer writes a hidden `.<name>.partial` beside `destination` (a dot name: nothing listing the folder takes it
/// for a finished file); when it is cut short or the process is killed the partial file stays, and the next attempt
/// or run asks for the rest with `Range: bytes=<have>-` (a server answering 200 instead of 206 restarts it from
/// zero). Only a file whose size and sha256 match is renamed to `destination`; a mismatching one is deleted and
/// reported.
struct Downloader: Sendable {
    /// Attempts per file; each retry resumes from what is on disk.
    var attempts = 3
    /// Seconds without data before a request fails.
    var timeout: TimeInterval = 60
    var progress: (@Sendable (TransferProgress) -> Void)?

    /// Downloads `url` to `destination` (parent folders are created).
    func fetch(_ url: URL, to destination: URL, name: String, size: Int64?, sha256: String?) throws {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw DatasetsError.io(path: destination.deletingLastPathComponent().path, problem: "cannot create folder")
        }
        let partial = Self.partialURL(for: destination)
        var lastError: DatasetsError = .download(url: url.absoluteString, problem: "no attempt made")
        for _ in 0..<max(1, attempts) {
            do {
                try transfer(url, into: partial, name: name, expected: size)
            } catch let error as DatasetsError {
                if case .io = error { throw error }  // cannot write here (full disk): retrying does not help
                lastError = error
                continue  // the partial file stays; the next attempt resumes
            }
            let have = currentSize(partial)
            if let size, have < size {
                lastError = .download(url: url.absoluteString, problem: "transfer cut short: got \(have) of \(size) bytes")
                continue
            }
            do {
                try FileDigest.verify(partial, size: size, sha256: sha256)
            } catch let error as DatasetsError {
                try? fm.removeItem(at: partial)
                switch error {
                case let .checksumMismatch(_, expected, got):
                    throw DatasetsError.checksumMismatch(file: "\(url.absoluteString) (for \(name))", expected: expected, got: got)
                case let .sizeMismatch(_, expected, got):
                    throw DatasetsError.sizeMismatch(file: "\(url.absoluteString) (for \(name))", expected: expected, got: got)
                default: throw error
                }
            }
            try? fm.removeItem(at: destination)
            do { try fm.moveItem(at: partial, to: destination) } catch {
                throw DatasetsError.io(path: destination.path, problem: "cannot move the verified download into place")
            }
            return
        }
        throw lastError
    }

    /// Where the unfinished transfer of `destination` is kept: `.<name>.partial` in the same folder.
    static func partialURL(for destination: URL) -> URL {
        destination.deletingLastPathComponent().appendingPathComponent("." + destination.lastPathComponent + ".partial")
    }

    private func currentSize(_ url: URL) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? NSNumber)?.int64Value ?? 0
    }

    /// One HTTP request, appending to `partial` from its current size.
    private func transfer(_ url: URL, into partial: URL, name: String, expected: Int64?) throws {
        let fm = FileManager.default
        // Created in place with open(2): FileManager.createFile writes through a temporary file, which a kill
        // would leave behind.
        let fd = open(partial.path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else {
            throw DatasetsError.io(path: partial.path, problem: "cannot create: \(String(cString: strerror(errno)))")
        }
        close(fd)
        let offset = currentSize(partial)
        if let expected, offset == expected { return }  // complete already: verify only
        if let expected, offset > expected { try? fm.removeItem(at: partial); return try transfer(url, into: partial, name: name, expected: expected) }
        guard let handle = try? FileHandle(forWritingTo: partial) else {
            throw DatasetsError.io(path: partial.path, problem: "cannot open for writing")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        let task = TransferTask(handle: handle, offset: offset, name: name, expected: expected, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: task, delegateQueue: queue)
        session.dataTask(with: request).resume()
        task.done.wait()
        session.finishTasksAndInvalidate()
        try? handle.close()
        if let reason = task.writeFailure { throw DatasetsError.io(path: partial.path, problem: "cannot write: \(reason)") }
        if let failure = task.failure { throw DatasetsError.download(url: url.absoluteString, problem: failure) }
    }
}

/// Delegate of one request: writes the body to the partial file as it arrives.
private final class TransferTask: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // Touched only on the session's serial delegate queue, read after `done` is signalled.
    let handle: FileHandle
    let name: String
    let expected: Int64?
    let progress: (@Sendable (TransferProgress) -> Void)?
    let done = DispatchSemaphore(value: 0)
    var received: Int64
    var failure: String?
    /// Why writing to the partial file failed (then the transfer is cancelled and not retried).
    var writeFailure: String?
    var lastReport = Date.distantPast

    init(handle: FileHandle, offset: Int64, name: String, expected: Int64?, progress: (@Sendable (TransferProgress) -> Void)?) {
        self.handle = handle
        self.received = offset
        self.name = name
        self.expected = expected
        self.progress = progress
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        switch status {
        case 206:
            do { try handle.seekToEnd() } catch {
                writeFailure = ImagingError.reason(for: error)
                completionHandler(.cancel)
                return
            }
        case 200:
            // The server ignored the Range request (or none was sent): start from zero.
            do { try handle.truncate(atOffset: 0) } catch {
                writeFailure = ImagingError.reason(for: error)
                completionHandler(.cancel)
                return
            }
            received = 0
        default:
            failure = "HTTP status \(status)"
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, writeFailure == nil else { return }
        do { try handle.write(contentsOf: data) } catch {
            // A full disk, a file-size limit: no retry helps; the partial file keeps what was written.
            writeFailure = ImagingError.reason(for: error)
            dataTask.cancel()
            return
        }
        received += Int64(data.count)
        let now = Date()
        if let progress, now.timeIntervalSince(lastReport) >= 0.25 {
            lastReport = now
            progress(TransferProgress(name: name, received: received, total: expected))
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, failure == nil, writeFailure == nil { failure = error.localizedDescription }
        progress?(TransferProgress(name: name, received: received, total: expected))
        done.signal()
    }
}
