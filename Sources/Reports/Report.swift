import Crypto
import Foundation
import Scoring

/// Writes a report folder: `index.html` (self-contained: tables, every default figure of model-vs-human as
/// inline SVG, definitions, provenance), `figures/<name>.svg`, and the CSV tables `benchmark.csv`,
/// `accuracy.csv`, `consistency.csv`, `shape-bias.csv`.
public enum Report {
    /// What was written.
    public struct Written: Sendable {
        /// The report folder.
        public var folder: URL
        /// Figure ids, in page order.
        public var figures: [String]
        /// Relative paths of every file written.
        public var files: [String]
    }

    /// The CSV table names, in the order the page lists them.
    public static let tables = ["benchmark.csv", "accuracy.csv", "consistency.csv", "shape-bias.csv"]

    /// Every default figure for the result, in page order.
    public static func figures(_ result: BenchmarkResult) -> [Figure] { FigureBuilder(result).all() }

    /// The report's files as relative path → contents; `inputs` are listed with their sha256.
    public static func render(_ result: BenchmarkResult, inputs: [URL], toolVersion: String) throws -> [(String, Data)] {
        try render(result, inputs: inputs, toolVersion: toolVersion, figures: nil)
    }

    static func render(_ result: BenchmarkResult, inputs: [URL], toolVersion: String,
                       figures prepared: [Figure]?) throws -> [(String, Data)] {
        let builder = FigureBuilder(result)
        let figures = prepared ?? builder.all()
        let listed = try inputs.map { url -> HTMLPage.Input in
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw ReportsError.unreadable(path: url.path, reason: error.localizedDescription)
            }
            let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            return HTMLPage.Input(path: url.path, bytes: data.count, sha256: digest)
        }
        var files: [(String, Data)] = [
            ("benchmark.csv", Data(TableWriter.benchmark(result).utf8)),
            ("accuracy.csv", Data(TableWriter.accuracy(result).utf8)),
            ("consistency.csv", Data(TableWriter.consistency(result).utf8)),
            ("shape-bias.csv", Data(TableWriter.shapeBias(result).utf8)),
        ]
        let legend = builder.legend()
        files.append(("figures/legend.svg", Data(legend.utf8)))
        for f in figures { files.append(("figures/\(f.id).svg", Data(f.svg.utf8))) }
        let html = HTMLPage.render(result, figures: figures, legend: legend, inputs: listed, toolVersion: toolVersion,
                                   tables: tables)
        files.append(("index.html", Data(html.utf8)))
        return files
    }

    /// Renders and writes the report to `folder` atomically: everything is written into a temporary folder
    /// beside it, which then replaces `folder`; on failure nothing is left half-written.
    @discardableResult
    public static func write(_ result: BenchmarkResult, inputs: [URL], toolVersion: String, to folder: URL) throws -> Written {
        let figures = FigureBuilder(result).all()
        let files = try render(result, inputs: inputs, toolVersion: toolVersion, figures: figures)
        let fm = FileManager.default
        let parent = folder.deletingLastPathComponent()
        let token = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        let temp = parent.appendingPathComponent(".\(folder.lastPathComponent).tmp-\(token)", isDirectory: true)
        let old = parent.appendingPathComponent(".\(folder.lastPathComponent).old-\(token)", isDirectory: true)
        do {
            try fm.createDirectory(at: temp.appendingPathComponent("figures"), withIntermediateDirectories: true)
            for (path, data) in files { try data.write(to: temp.appendingPathComponent(path)) }
            var isDir: ObjCBool = false
            let existed = fm.fileExists(atPath: folder.path, isDirectory: &isDir)
            if existed { try fm.moveItem(at: folder, to: old) }
            do { try fm.moveItem(at: temp, to: folder) } catch {
                if existed { try? fm.moveItem(at: old, to: folder) }
                throw error
            }
            if existed { try? fm.removeItem(at: old) }
        } catch {
            try? fm.removeItem(at: temp)
            throw ReportsError.unwritable(path: folder.path, reason: ScoringError.reason(for: error))
        }
        return Written(folder: folder, figures: figures.map(\.id), files: files.map(\.0))
    }
}
