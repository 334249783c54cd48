import ArgumentParser
import Datasets
import Foundation

extension Shard {
    /// `--shard` and `--shard-count` as `evaluate` and `generate` take them. A bad value is a usage error reported
    /// as one line (`Error: shard 5/2: needs 0 ≤ I < N and N ≥ 1`), exit status 64: a ValidationError thrown from
    /// `run()` would make ArgumentParser print the root command's usage after it.
    static func fromOptions(_ option: String?, count: Int?) throws -> Shard {
        do { return try Shard.resolve(option, count: count) } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(64)
        }
    }
}
