import Dispatch
import Foundation

/// A child process spoken to in JSON lines (the transport of `ExternalModel`; docs/external-protocol.md).
///
/// `COMMAND` runs as `/bin/sh -c 'exec COMMAND'`, so the shell is replaced by the command and a kill reaches
/// it. Its stdout is read line by line on a thread of its own (`receive` waits with a deadline); its stderr is
/// read on another into a ring buffer of the last `stderrLines` lines, quoted by every error, and optionally
/// echoed to our stderr. Not thread-safe: one request at a time (`ExternalModel` serialises calls).
final class ExternalProcess: @unchecked Sendable {
    let command: String
    let process = Process()
    private let stdinPipe = Pipe(), stdoutPipe = Pipe(), stderrPipe = Pipe()
    private let condition = NSCondition()
    private var lines: [Data] = []        // complete stdout lines not yet taken (guarded by condition)
    private var stdoutClosed = false      // guarded by condition
    private var stderrRing: [String] = [] // guarded by condition
    private let stderrLines: Int

    init(command: String, echoStderr: Bool, stderrLines: Int = 20) throws {
        self.command = command
        self.stderrLines = stderrLines
        signal(SIGPIPE, SIG_IGN)  // a dead child must give EPIPE, not kill us
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec " + command]
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        do { try process.run() } catch {
            throw ModelsError.external(command: command, reason: "cannot start: \(error.localizedDescription)", stderr: [])
        }
        let outFD = stdoutPipe.fileHandleForReading.fileDescriptor
        let errFD = stderrPipe.fileHandleForReading.fileDescriptor
        Thread.detachNewThread { [self] in
            Self.readLines(fd: outFD) { line in
                condition.lock(); lines.append(line); condition.signal(); condition.unlock()
            }
            condition.lock(); stdoutClosed = true; condition.broadcast(); condition.unlock()
        }
        Thread.detachNewThread { [self] in
            Self.readLines(fd: errFD) { line in
                let text = String(decoding: line, as: UTF8.self)
                if echoStderr { FileHandle.standardError.write(Data(("[external] " + text + "\n").utf8)) }
                condition.lock()
                stderrRing.append(text)
                if stderrRing.count > stderrLines { stderrRing.removeFirst(stderrRing.count - stderrLines) }
                condition.unlock()
            }
        }
    }

    deinit { terminate() }

    /// Reads `fd` until EOF, calling `line` with each line (without `\n`; a final unterminated line included).
    private static func readLines(fd: Int32, _ line: (Data) -> Void) {
        var pending = Data()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer, 1 << 16)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            let chunk = UnsafeRawBufferPointer(start: buffer, count: n)
            var start = 0
            for i in 0..<n where chunk[i] == 0x0A {
                if pending.isEmpty { line(Data(chunk[start..<i])) } else {
                    pending.append(contentsOf: chunk[start..<i]); line(pending); pending = Data()
                }
                start = i + 1
            }
            if start < n { pending.append(contentsOf: chunk[start..<n]) }
        }
        if !pending.isEmpty { line(pending) }
    }

    /// The child's last stderr lines.
    var stderrTail: [String] {
        condition.lock(); defer { condition.unlock() }
        return stderrRing
    }

    /// A `ModelsError.external` with the stderr tail (waiting briefly for the child's last words).
    func failure(_ reason: String) -> ModelsError {
        usleep(50_000)
        return ModelsError.external(command: command, reason: reason, stderr: stderrTail)
    }

    /// Writes one line (a `\n` is appended).
    func send(_ line: Data) throws {
        var data = line
        data.append(0x0A)
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        let ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        if !ok { throw failure(exitDescription(prefix: "cannot write to the model (stdin closed)")) }
    }

    /// The next stdout line; throws when the child closes stdout (exits) or `timeout` seconds pass (the child is
    /// then killed).
    func receive(timeout: Double) throws -> Data {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        while lines.isEmpty && !stdoutClosed {
            if !condition.wait(until: deadline) && lines.isEmpty && !stdoutClosed {
                condition.unlock()
                terminate()
                throw failure(String(format: "no answer within the timeout of %g s (the model was stopped; raise --timeout if it is just slow)", timeout))
            }
        }
        if !lines.isEmpty {
            let line = lines.removeFirst()
            condition.unlock()
            return line
        }
        condition.unlock()
        throw failure(exitDescription(prefix: "the model closed its output"))
    }

    /// "…: exited with status N" / "killed by signal N" once the child is gone (waits up to 2 s).
    func exitDescription(prefix: String) -> String {
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
        if process.isRunning { return prefix + " (still running)" }
        switch process.terminationReason {
        case .uncaughtSignal: return prefix + ": killed by signal \(process.terminationStatus)"
        default: return prefix + ": exited with status \(process.terminationStatus)"
        }
    }

    /// Closes stdin and kills the child if it is still running.
    func terminate() {
        try? stdinPipe.fileHandleForWriting.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Closes stdin (the child's cue to exit) and waits up to `grace` seconds before killing it.
    func shutdown(grace: Double = 2) {
        try? stdinPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
