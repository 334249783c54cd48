import Foundation
import Imaging

/// `<out>/<dataset>/generation.json`: what a generated folder was made from. A resumed run must ask for the same
/// seed, layout and counts, or the kept files and the new ones would not belong together.
public struct GenerationRecord: Codable, Sendable, Equatable {
    /// The dataset.
    public var dataset: String
    /// The run's seed.
    public var seed: UInt64
    /// `categories` or `imagenet`.
    public var layout: String
    /// Images per category and condition.
    public var perCondition: Int
    /// Number of stimuli.
    public var images: Int
    /// The tool that wrote it.
    public var tool: String

    public init(dataset: String, seed: UInt64, layout: String, perCondition: Int, images: Int, tool: String) {
        (self.dataset, self.seed, self.layout, self.perCondition, self.images, self.tool) = (dataset, seed, layout, perCondition, images, tool)
    }

    /// Writes the record, or checks it against the one already there (throws `.badSource` on a difference).
    public func claim(out: URL) throws {
        let folder = out.appendingPathComponent(dataset)
        let url = folder.appendingPathComponent("generation.json")
        if let data = try? Data(contentsOf: url) {
            guard let old = try? JSONDecoder().decode(GenerationRecord.self, from: data) else {
                throw DatasetsError.badSource(path: url.path, problem: "unreadable; remove the folder to start over")
            }
            if old.seed != seed || old.layout != layout || old.perCondition != perCondition || old.images != images {
                throw DatasetsError.badSource(path: url.path, problem: "this folder was generated with seed \(old.seed), layout \(old.layout), \(old.perCondition) per condition; resume with the same settings or choose another --out")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw DatasetsError.io(path: url.path, problem: "cannot write: \(ImagingError.reason(for: error))")
        }
    }
}
