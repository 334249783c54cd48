import Foundation

/// One of `count` disjoint parts of a run's work, for running on several machines with no coordinator.
///
/// Shard `index` (0-based, `0 ..< count`) owns the items at positions `p` of a run's ordered item list (stimuli in
/// loader order, generation tasks in plan order) with `p % count == index`. The list's order is fixed by the inputs
/// alone (sorted file names, seeded plans), so the partition never depends on scheduling, and the union of the
/// shards `0/N … N-1/N` is the whole list, each item exactly once.
public struct Shard: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 0-based shard number.
    public let index: Int
    /// Number of shards (≥ 1).
    public let count: Int

    /// The whole run as one shard (`0/1`).
    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Shard `index` of `count`; throws `.badShard` unless `0 ≤ index < count`.
    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw DatasetsError.badShard(spec: "\(index)/\(count)", problem: "needs 0 ≤ I < N and N ≥ 1")
        }
        self.index = index
        self.count = count
    }

    /// Parses `I/N` (e.g. `0/4` … `3/4`).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw DatasetsError.badShard(spec: text, problem: "expected I/N with 0 ≤ I < N, e.g. 0/4")
        }
        guard n >= 1, i >= 0, i < n else {
            throw DatasetsError.badShard(spec: text, problem: "needs 0 ≤ I < N and N ≥ 1")
        }
        self.init(uncheckedIndex: i, count: n)
    }

    /// The shard named by a scheduler's environment, for `--shard auto`, tried in this order:
    /// - `OODBENCH_SHARD=I/N`;
    /// - Slurm job arrays: `SLURM_ARRAY_TASK_ID` and `SLURM_ARRAY_TASK_COUNT` (the index counted from
    ///   `SLURM_ARRAY_TASK_MIN`, so `--array=0-3` and `--array=1-4` both give shards 0 … 3);
    /// - Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX` with `count` (the Job's `completions`, `--shard-count`).
    public static func fromEnvironment(_ env: [String: String], count: Int? = nil) throws -> Shard {
        if let text = env["OODBENCH_SHARD"] {
            let shard = try Shard(parsing: text)
            if let count, count != shard.count {
                throw DatasetsError.badShard(spec: text, problem: "OODBENCH_SHARD has \(shard.count) shards but --shard-count is \(count)")
            }
            return shard
        }
        if let id = env["SLURM_ARRAY_TASK_ID"] {
            guard let task = Int(id) else {
                throw DatasetsError.badShard(spec: "SLURM_ARRAY_TASK_ID=\(id)", problem: "not an integer")
            }
            let minimum = env["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
            guard let n = env["SLURM_ARRAY_TASK_COUNT"].flatMap({ Int($0) }) ?? count else {
                throw DatasetsError.badShard(spec: "SLURM_ARRAY_TASK_ID=\(id)",
                                             problem: "SLURM_ARRAY_TASK_COUNT is not set; give --shard-count")
            }
            if let count, count != n {
                throw DatasetsError.badShard(spec: "SLURM_ARRAY_TASK_COUNT=\(n)", problem: "differs from --shard-count \(count)")
            }
            return try Shard(index: task - minimum, count: n)
        }
        if let id = env["JOB_COMPLETION_INDEX"] {
            guard let task = Int(id) else {
                throw DatasetsError.badShard(spec: "JOB_COMPLETION_INDEX=\(id)", problem: "not an integer")
            }
            guard let count else {
                throw DatasetsError.badShard(spec: "JOB_COMPLETION_INDEX=\(id)",
                                             problem: "give --shard-count (the Indexed Job's completions)")
            }
            return try Shard(index: task, count: count)
        }
        throw DatasetsError.badShard(spec: "auto", problem: "none of OODBENCH_SHARD, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX is set")
    }

    /// `--shard` as given on a command line: `I/N`, or `auto` (the environment, with `--shard-count`).
    public static func resolve(_ option: String?, count: Int?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard {
        guard let option else {
            if count != nil { throw DatasetsError.badShard(spec: "--shard-count", problem: "needs --shard auto") }
            return .whole
        }
        if option == "auto" { return try fromEnvironment(environment, count: count) }
        let shard = try Shard(parsing: option)
        if let count, count != shard.count {
            throw DatasetsError.badShard(spec: option, problem: "--shard-count \(count) differs from N")
        }
        return shard
    }

    /// Whether the item at 0-based `position` of the ordered list belongs to this shard.
    public func owns(_ position: Int) -> Bool { position % count == index }

    /// The positions of this shard among `total` items, ascending.
    public func positions(of total: Int) -> StrideTo<Int> { stride(from: index, to: total, by: count) }

    /// This shard's items of an ordered list, in order.
    public func select<T>(_ items: [T]) -> [T] { positions(of: items.count).map { items[$0] } }

    /// True for the whole run (`0/1`).
    public var isWhole: Bool { count == 1 }

    /// `I/N`.
    public var description: String { "\(index)/\(count)" }

    /// File-name tag `shard-I-of-N`.
    public var tag: String { "shard-\(index)-of-\(count)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
