import Foundation
import Imaging

/// Makes the bytes of one stimulus file (an 8-bit RGB PNG) for a task. Implementations must be pure functions of
/// the task (source bytes, condition, seed), so that output never depends on scheduling.
public protocol StimulusRenderer: Sendable {
    /// The PNG bytes of `task`'s stimulus.
    func render(_ task: GenerationTask) throws -> Data

    /// Renders tasks that share one source file, in order, handing each result to `deliver` (task index, bytes) as
    /// soon as it is made. A renderer may share work between them (the decoded source, an eidolon picture's scale
    /// space); each result must equal `render` of its task. The default renders them one by one.
    func render(sameSource tasks: [GenerationTask], deliver: (Int, Data) throws -> Void) throws
}

extension StimulusRenderer {
    public func render(sameSource tasks: [GenerationTask], deliver: (Int, Data) throws -> Void) throws {
        for (index, task) in tasks.enumerated() { try deliver(index, try render(task)) }
    }
}

/// What a generation run did, in all and per dataset.
public struct GenerationCounts: Sendable, Equatable {
    /// Files rendered and written by this run.
    public var written = 0
    /// Files that existed already and were kept.
    public var kept = 0
    public var writtenByDataset: [String: Int] = [:]
    public var keptByDataset: [String: Int] = [:]
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

/// Runs generation tasks on `jobs` worker threads. Tasks are grouped by source file (in order of first appearance),
/// and a worker takes a whole group, so that the renderer can decode a photograph once for every dataset that uses
/// it and compute an eidolon picture's scale space once for eidolon I, II and III (specs/eidolon.md §9). Each task
/// whose output file exists is skipped (resume); the others are rendered and written atomically (hidden temporary
/// name, then rename; temporary files of a killed run are removed by the next). Output bytes depend only on the
/// tasks, never on `jobs`, the grouping or the order in which workers finish. The first failure stops the run.
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

    /// Generates `tasks` under `out`; returns what was written and kept.
    @discardableResult
    public func run(_ tasks: [GenerationTask], out: URL) throws -> GenerationCounts {
        let fm = FileManager.default
        for dataset in Set(tasks.map(\.dataset)) {
            let folder = Self.imageFolder(out: out, dataset: dataset)
            do { try fm.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
                throw DatasetsError.io(path: folder.path, problem: "cannot create folder")
            }
        }
        Self.removeStaleTemporaries(of: tasks, out: out)
        let groups = Self.groupsBySource(tasks)
        let state = RunState(groups: groups.count, total: tasks.count)
        let group = DispatchGroup()
        let queue = DispatchQueue(label: "oodbench.generate", attributes: .concurrent)
        for _ in 0..<jobs {
            queue.async(group: group) {
                while let next = state.next() {
                    var pending: [GenerationTask] = []
                    for index in groups[next] {
                        let task = tasks[index]
                        if FileManager.default.fileExists(atPath: Self.target(of: task, out: out).path) {
                            state.finish(task, kept: true, progress: progress)
                        } else {
                            pending.append(task)
                        }
                    }
                    guard !pending.isEmpty else { continue }
                    var delivered = 0  // the renderer works on pending[delivered] until it delivers it
                    do {
                        try renderer.render(sameSource: pending) { index, bytes in
                            let task = pending[index]
                            let target = Self.target(of: task, out: out)
                            do { try Self.write(bytes, to: target) } catch {
                                throw DatasetsError.io(path: target.path, problem: "cannot write: \(ImagingError.reason(for: error))")
                            }
                            state.finish(task, kept: false, progress: progress)
                            delivered = index + 1
                            guard !state.failed else { throw CancellationError() }
                        }
                    } catch is CancellationError {
                        break
                    } catch let error as DatasetsError {
                        state.fail(error)
                    } catch {
                        state.fail(.render(file: pending[min(delivered, pending.count - 1)].fileName, problem: "\(error)"))
                    }
                }
            }
        }
        group.wait()
        if let error = state.failure { throw error }
        let counts = state.counts
        progress?(GenerationProgress(done: counts.written + counts.kept, total: tasks.count, kept: counts.kept))
        return counts
    }

    /// Task indices grouped by source file, groups in order of their first task, tasks in their order.
    static func groupsBySource(_ tasks: [GenerationTask]) -> [[Int]] {
        var groupOf: [URL: Int] = [:]
        var groups: [[Int]] = []
        for (index, task) in tasks.enumerated() {
            if let g = groupOf[task.source] {
                groups[g].append(index)
            } else {
                groupOf[task.source] = groups.count
                groups.append([index])
            }
        }
        return groups
    }

    private static func target(of task: GenerationTask, out: URL) -> URL {
        imageFolder(out: out, dataset: task.dataset).appendingPathComponent(task.fileName)
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
    private let groups: Int
    let total: Int
    private var tally = GenerationCounts()
    private(set) var failure: DatasetsError?
    private var lastReport = Date.distantPast

    init(groups: Int, total: Int) {
        self.groups = groups
        self.total = total
    }

    /// The next group to render, or nil when all are taken or the run failed.
    func next() -> Int? {
        lock.withLock {
            guard failure == nil, cursor < groups else { return nil }
            defer { cursor += 1 }
            return cursor
        }
    }

    var failed: Bool { lock.withLock { failure != nil } }

    var counts: GenerationCounts { lock.withLock { tally } }

    func finish(_ task: GenerationTask, kept wasKept: Bool, progress: (@Sendable (GenerationProgress) -> Void)?) {
        let report: GenerationProgress? = lock.withLock {
            if wasKept {
                tally.kept += 1
                tally.keptByDataset[task.dataset, default: 0] += 1
            } else {
                tally.written += 1
                tally.writtenByDataset[task.dataset, default: 0] += 1
            }
            let now = Date()
            guard progress != nil, now.timeIntervalSince(lastReport) >= 0.25 else { return nil }
            lastReport = now
            return GenerationProgress(done: tally.written + tally.kept, total: total, kept: tally.kept)
        }
        if let report { progress?(report) }
    }

    func fail(_ error: DatasetsError) {
        lock.withLock { if failure == nil { failure = error } }
    }
}
