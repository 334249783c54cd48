import Foundation

/// The outcome of one run of the built `oodbench` binary.
public struct CommandResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

extension Mirror {
    /// Whether the `oodbench` binary of this build configuration exists (CLI tests skip without it).
    public static var oodbenchIsBuilt: Bool {
        FileManager.default.isExecutableFile(atPath: oodbenchBinary.path)
    }

    /// Runs the built `oodbench` as a user would, with `OODBENCH_MIRROR` set to the test mirror plus `environment`.
    ///
    /// stdout and stderr go to temporary files rather than pipes, so a chatty child can never block on a full
    /// pipe while the other stream is being read.
    public static func runOODBench(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("oodbench-run-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)

        let process = Process()
        process.executableURL = oodbenchBinary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["OODBENCH_MIRROR"] = root.path
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                             stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
