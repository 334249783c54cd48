import Foundation
import Imaging

/// Makes the bytes of one stimulus file (an 8-bit RGB PNG) for a task. Implementations must be pure functions of
/// the task (source bytes, condition, seed), so that output never depends on scheduling.
public protocol StimulusRenderer: Sendable {
    /// The PNG bytes of `task`'s stimulus.
    func render(_ task: GenerationTask) throws -> Data
}

/// Progress of a generation run.
public struct GenerationProgress: Sendable {
    /// Files finished so far in this run, including those kept from an earlier run.
    public let done: Int
    /// Files of the run.
    public let total: Int
    /// Files kept from an earlier run.
    public let kept: Int
}

/// Runs generation tasks on `jobs` worker threads: each worker takes the next task, skips it when its output file
/// exists (resume), else renders it and writes it atomically (hidden temporary name, then rename; temporary files
/// of a killed run are removed by the next). Output bytes depend
/// only on the tasks, never on `jobs` or the order in which workers finish. The first failure stops the run.
public struct Generator: Sendable {
    /// The renderer (decode, distort, encode).
    public let renderer: any StimulusRenderer
    /// Worker threads (≥ 1).
    public let jobs: Int
    /// Called at most ~4 times per second and once at the end.
    public let progress: (@Sendable (GenerationProgress) -> Void)?

    public init(renderer: any StimulusRenderer, jobs: Int, progress: (@Sendable (GenerationProgress) -> Void)? = nil) {
        self.renderer = renderer
        self.jobs = max(1, jobs)
        self.progress = progress
    }

    /// The folder a dataset's DNN stimuli go to: `<out>/<dataset>/dnn/session-1`.
    public static func imageFolder(out: URL, dataset: String) -> URL {
        out.appendingPathComponent(dataset).appendingPathComponent("dnn/session-1")
    }

    /// Generates `tasks` under `out`; returns (written, kept).
    @discardableResult
    public func run(_ tasks: [GenerationTask], out: URL) throws -> (written: Int, kept: Int) {
        let fm = FileManager.default
        for dataset in Set(tasks.map(\.dataset)) {
            let folder = Self.imageFolder(out: out, dataset: dataset)
            do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw DatasetsError.io(path: folder.path, problem: "cannot create folder")
            }
        }
        Self.removeStaleTemporaries(of: tasks, out: out)
        let state = RunState(total: tasks.count)
        let group = DispatchGroup()
        let queue = DispatchQueue(label: "oodbench.generate", attributes: .concurrent)
        for _ in 0..<jobs {
            queue.async(group: group) {
                while let index = state.next() {
                    let task = tasks[index]
                    let target = Self.imageFolder(out: out, dataset: task.dataset).appendingPathComponent(task.fileName)
                    if FileManager.default.fileExists(atPath: target.path) {
                        state.finish(kept: true, progress: progress)
                        continue
                    }
                    do {
                        let bytes = try renderer.render(task)
                        do { try Self.write(bytes, to: target) } catch {
                            throw DatasetsError.io(path: target.path, problem: "cannot write: \(ImagingError.reason(for: error))")
                        }
                        state.finish(kept: false, progress: progress)
                    } catch let error as DatasetsError {
                        state.fail(error)
                    } catch {
                        state.fail(.render(file: task.fileName, problem: "\(error)"))
                    }
                }
            }
        }
        group.wait()
        if let error = state.failure { throw error }
        progress?(GenerationProgress(done: state.done, total: tasks.count, kept: state.kept))
        return (state.done - state.kept, state.kept)
    }

    /// Writes `bytes` under a hidden temporary name `.<name>.tmp-<token>` beside `target`, then renames it: the
    /// file appears complete or not at all. A run killed while writing leaves the temporary file, which the next
    /// run over the same tasks removes (``removeStaleTemporaries(of:out:)``).
    static func write(_ bytes: Data, to target: URL) throws {
        let temp = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))")
        do {
            try bytes.write(to: temp)
            guard rename(temp.path, target.path) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
    }

    /// Removes the temporary files that killed runs left for these tasks' outputs. Only the tasks' own names are
    /// touched: shards sharing a folder each write other files, so another shard's temporary file is never removed.
    static func removeStaleTemporaries(of tasks: [GenerationTask], out: URL) {
        let fm = FileManager.default
        for (dataset, group) in Dictionary(grouping: tasks, by: \.dataset) {
            let folder = imageFolder(out: out, dataset: dataset)
            let names = Set(group.map(\.fileName))
            for entry in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] where entry.hasPrefix(".") {
                guard let range = entry.range(of: ".tmp-", options: .backwards) else { continue }
                if names.contains(String(entry[entry.index(after: entry.startIndex)..<range.lowerBound])) {
                    try? fm.removeItem(at: folder.appendingPathComponent(entry))
                }
            }
        }
    }
}

/// Shared counters of one run, under a lock.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var cursor = 0
    let total: Int
    private(set) var done = 0
    private(set) var kept = 0
    private(set) var failure: DatasetsError?
    private var lastReport = Date.distantPast

    init(total: Int) { self.total = total }

    func next() -> Int? {
        lock.withLock {
            guard failure == nil, cursor < total else { return nil }
            defer { cursor += 1 }
            return cursor
        }
    }

    func finish(kept wasKept: Bool, progress: (@Sendable (GenerationProgress) -> Void)?) {
        let report: GenerationProgress? = lock.withLock {
            done += 1
            if wasKept { kept += 1 }
            let now = Date()
            guard progress != nil, now.timeIntervalSince(lastReport) >= 0.25 else { return nil }
            lastReport = now
            return GenerationProgress(done: done, total: total, kept: kept)
        }
        if let report { progress?(report) }
    }

    func fail(_ error: DatasetsError) {
        lock.withLock { if failure == nil { failure = error } }
    }
}
