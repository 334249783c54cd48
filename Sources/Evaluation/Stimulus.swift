import Foundation

/// One image of a dataset, with what its raw-data CSV row records about it.
public struct Stimulus: Sendable, Equatable {
    /// The image file.
    public let url: URL
    /// The bare file name (`imagename` column).
    public let imageName: String
    /// The true category (`category` column; cue-conflict: the shape category).
    public let category: String
    /// The condition token as written upstream (`condition` column): `NaN` for category-folder datasets
    /// (cue-conflict, edge, silhouette), else field 4 of the file name (`c05`, `0.10`, `16-10-10`, …).
    public let condition: String

    public init(url: URL, imageName: String, category: String, condition: String) {
        self.url = url
        self.imageName = imageName
        self.category = category
        self.condition = condition
    }

    /// Lists a dataset folder's stimuli in model-vs-human's loader order (torchvision `ImageFolder`: folders
    /// sorted, then file names sorted as plain strings, e.g. `airplane1`, `airplane10`, `airplane2`).
    ///
    /// Two layouts are recognised (texture-vs-shape/SOURCE.md, specs/metrics.md §3.4):
    /// - category folders `<root>/<category>/<image>`, as cue-conflict, edge and silhouette: category from the
    ///   folder, condition `NaN`;
    /// - any other tree (`<root>/dnn/session-1/<image>` for the parametric datasets): images sorted by file name,
    ///   category and condition from the name `<trial>_<exp>_<who>_<condition>_<category>_…`.
    public static func list(folder root: URL) throws -> [Stimulus] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw EvaluationError.noStimuli(folder: root.path)
        }
        let top = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        let categoryFolders = top.filter { Categories16.names.contains($0) }.sorted(by: byteOrder)
        var stimuli: [Stimulus] = []
        if !categoryFolders.isEmpty {
            for category in categoryFolders {
                let folder = root.appendingPathComponent(category, isDirectory: true)
                let files = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).filter(isImageName)
                for name in files.sorted(by: byteOrder) {
                    stimuli.append(Stimulus(url: folder.appendingPathComponent(name), imageName: name,
                                            category: category, condition: "NaN"))
                }
            }
        } else {
            var files: [URL] = []
            if let walker = fm.enumerator(at: root, includingPropertiesForKeys: nil) {
                for case let url as URL in walker where isImageName(url.lastPathComponent) { files.append(url) }
            }
            files.sort { byteOrder($0.lastPathComponent, $1.lastPathComponent) }
            for url in files {
                let name = url.lastPathComponent
                let fields = name.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
                guard fields.count >= 7 else {
                    throw EvaluationError.unnamedStimulus(file: url.path, reason:
                        "not in a category folder and not named <trial>_<exp>_<who>_<condition>_<category>_…")
                }
                guard Categories16.names.contains(fields[4]) else {
                    throw EvaluationError.unnamedStimulus(file: url.path,
                                                          reason: "field 5 '\(fields[4])' is not one of the 16 categories")
                }
                stimuli.append(Stimulus(url: url, imageName: name, category: fields[4], condition: fields[3]))
            }
        }
        guard !stimuli.isEmpty else { throw EvaluationError.noStimuli(folder: root.path) }
        return stimuli
    }

    /// Whether a file name is a stimulus image (`.png`, `.jpg`, `.jpeg`, any case; not hidden).
    public static func isImageName(_ name: String) -> Bool {
        guard !name.hasPrefix(".") else { return false }
        let ext = (name as NSString).pathExtension.lowercased()
        return ["png", "jpg", "jpeg"].contains(ext)
    }

    /// Python's `sorted` on `str`: code point order.
    static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
    }
}
