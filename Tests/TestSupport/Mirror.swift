import Foundation

/// Where the tests find the offline mirror (`../shared/reference-data`) and the repository's own fixtures.
///
/// `OODBENCH_MIRROR` wins; otherwise the mirror is `../shared/reference-data` beside the package root, which is
/// where CI and every developer checkout lay it.
public enum Mirror {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/Mirror.swift
        return url
    }()

    /// The offline mirror root.
    public static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["OODBENCH_MIRROR"], !env.isEmpty {
            return URL(fileURLWithPath: env, isDirectory: true)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference-data", isDirectory: true)
    }()

    /// A file or folder inside the mirror, e.g. `Mirror.url("distortion-goldens/manifest.json")`.
    public static func url(_ relativePath: String) -> URL {
        root.appendingPathComponent(relativePath)
    }

    /// A file under `Tests/Fixtures/`.
    public static func fixture(_ relativePath: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relativePath)
    }

    /// The built `oodbench` binary of the current build configuration (for CLI tests).
    public static var oodbenchBinary: URL {
        // The test bundle lives in the same products folder as the executable.
        let bundle = Bundle.main.bundleURL
        let candidates = [
            bundle.appendingPathComponent("oodbench"),
            bundle.deletingLastPathComponent().appendingPathComponent("oodbench"),
        ]
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return candidates[1]
    }
}
