import Foundation
import Imaging
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Starts the built `oodbench` as a child process, kills it with SIGKILL at chosen moments, and checks what it
/// leaves on disk. Used by ``KillTests`` and ``FullDiskTests``.
enum KillHarness {
    /// How one start of the binary ended.
    enum Outcome: Equatable {
        /// It ran to the end by itself, with this exit status.
        case exited(Int32)
        /// It was still running at the deadline and was killed with SIGKILL.
        case killed
    }

    /// The environment every child gets: the test mirror and manifest, no scheduler variables.
    static func environment(_ extra: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("SLURM_") || key == "JOB_COMPLETION_INDEX" || key == "OODBENCH_SHARD" {
            env[key] = nil
        }
        env["OODBENCH_MIRROR"] = Mirror.root.path
        env["OODBENCH_MANIFEST"] = Mirror.packageRoot.appendingPathComponent("datasets-manifest").path
        return env.merging(extra) { $1 }
    }

    /// Runs `arguments`; kills the process with SIGKILL `killAfter` seconds after the start unless it has ended.
    /// stdout and stderr go to `log` (appended). Returns the outcome and the seconds the process ran.
    static func run(_ arguments: [String], environment extra: [String: String] = [:], killAfter: Double? = nil,
                    log: URL) throws -> (outcome: Outcome, seconds: Double) {
        let binary = Mirror.oodbenchBinary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("oodbench not built at \(binary.path)")
        }
        if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment(extra)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        try process.run()
        if let killAfter {
            while process.isRunning && elapsed() < killAfter { usleep(2_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let seconds = elapsed()
        if process.terminationReason == .uncaughtSignal {
            guard process.terminationStatus == SIGKILL else {
                throw HarnessError("oodbench \(arguments.first ?? "") died of signal \(process.terminationStatus); log \(log.path)")
            }
            return (.killed, seconds)
        }
        return (.exited(process.terminationStatus), seconds)
    }

    struct HarnessError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: Output trees

    /// Relative path → bytes of every regular file under `root` whose path has no component starting with a
    /// dot (hidden files are a program's scratch: temporary names, partial downloads).
    static func visibleFiles(_ root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        guard FileManager.default.fileExists(atPath: root.path) else { return result }
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            let relative = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                walker?.skipDescendants()
                continue
            }
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            result[relative] = try Data(contentsOf: url)
        }
        return result
    }

    /// Relative paths of the hidden regular files under `root` (left-over scratch files).
    static func hiddenFiles(_ root: URL) -> [String] {
        var result: [String] = []
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = walker?.nextObject() as? URL {
            let relative = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            guard relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }),
                  (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            result.append(relative)
        }
        return result.sorted()
    }

    /// Problems with one visible file judged by its format alone: a PNG must decode completely, a CSV must have
    /// `csvHeader` (when given) and only complete rows (every line CRLF-terminated, as many fields as the
    /// header), a JSON file must parse. Returns nil when the file is well-formed.
    static func formatProblem(_ path: String, _ data: Data, csvHeader: String? = nil) -> String? {
        if path.hasSuffix(".png") {
            do { _ = try Image8(data: data, name: path) } catch { return "\(path): PNG does not decode: \(error)" }
        } else if path.hasSuffix(".csv") {
            let text = String(decoding: data, as: UTF8.self)
            guard text.hasSuffix("\r\n") else { return "\(path): last row is not terminated" }
            let lines = text.dropLast(2).components(separatedBy: "\r\n")
            if let csvHeader, lines.first != csvHeader { return "\(path): header is '\(lines.first ?? "")'" }
            let fields = lines[0].split(separator: ",", omittingEmptySubsequences: false).count
            for (i, line) in lines.enumerated() where line.split(separator: ",", omittingEmptySubsequences: false).count != fields {
                return "\(path): line \(i + 1) has a different number of fields: '\(line)'"
            }
        } else if path.hasSuffix(".json") {
            if (try? JSONSerialization.jsonObject(with: data)) == nil { return "\(path): JSON does not parse" }
        }
        return nil
    }
}
