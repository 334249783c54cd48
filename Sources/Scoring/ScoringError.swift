import ErrorText
import Foundation

/// Everything that can go wrong while reading raw-data CSVs or scoring them.
///
/// Each case names the file (and, where there is one, the 1-based line) so that the CLI can print one line
/// such as `raw-data/contrast/contrast_resnet50_session-1.csv:17: unknown condition "c07" for contrast`.
public enum ScoringError: Error, CustomStringConvertible, Equatable {
    /// The file or folder could not be read at all.
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// A byte sequence that is not UTF-8.
    case notUTF8(path: String, line: Int)
    /// The header lacks a column the metrics need.
    case missingColumn(path: String, column: String)
    /// A line with more columns than `RawDataReader.maxColumns` (refused before it is split).
    case tooManyColumns(path: String, line: Int, columns: Int, limit: Int)
    /// A row with the wrong number of fields.
    case malformedRow(path: String, line: Int, expected: Int, got: Int)
    /// A dataset folder whose name is none of the 17 benchmark datasets.
    case unknownDataset(path: String, name: String)
    /// A condition token that matches none of the dataset's conditions.
    case unknownCondition(path: String, line: Int, dataset: String, token: String)
    /// A `category` or `object_response` value outside the 16 categories (`na` is allowed as a response).
    case unknownCategory(path: String, line: Int, column: String, value: String)
    /// The same image twice for one subject in one dataset.
    case duplicateImage(path: String, line: Int, subject: String, imageID: String)
    /// Two subjects of one dataset did not see the same images in the same condition.
    case mismatchedImages(path: String, line: Int, subject: String, imageID: String, condition: String,
                          reference: String, referencePath: String)
    /// A human subject (`subject-…`) inside model results, or a model inside the human data.
    case wrongSubjectKind(path: String, line: Int, subject: String, expectedHuman: Bool)
    /// A dataset the models have but the human data lacks.
    case noHumanData(dataset: String, path: String)
    /// No raw-data CSV at all under the given folders.
    case noData(paths: [String])

    /// One line naming the file and the problem (control characters from the input escaped).
    public var description: String { ErrorText.oneLine(message) }

    private var message: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .unwritable(path, reason):
            return "\(path): cannot write: \(reason)"
        case let .notUTF8(path, line):
            return "\(path):\(line): not UTF-8 text"
        case let .missingColumn(path, column):
            return "\(path):1: missing column \"\(column)\" (need subj, object_response, category, condition, imagename)"
        case let .tooManyColumns(path, line, columns, limit):
            return "\(path):\(line): \(columns) columns, more than the limit of \(limit)"
        case let .malformedRow(path, line, expected, got):
            return "\(path):\(line): \(got) fields, expected \(expected) as in the header"
        case let .unknownDataset(path, name):
            return "\(path): unknown dataset \"\(name)\" (expected one of the 17 model-vs-human datasets)"
        case let .unknownCondition(path, line, dataset, token):
            return "\(path):\(line): unknown condition \"\(token)\" for \(dataset)"
        case let .unknownCategory(path, line, column, value):
            return "\(path):\(line): \(column) \"\(value)\" is not one of the 16 categories"
        case let .duplicateImage(path, line, subject, imageID):
            return "\(path):\(line): image \(imageID) appears twice for \(subject)"
        case let .mismatchedImages(path, line, subject, imageID, condition, reference, referencePath):
            return "\(path):\(line): image \(imageID) (condition \(condition)) of \(subject) is not among the images "
                + "\(reference) saw in that condition (\(referencePath)): mismatched image ids"
        case let .wrongSubjectKind(path, line, subject, expectedHuman):
            return expectedHuman
                ? "\(path):\(line): subject \"\(subject)\" in the human data is not a human (subject-…)"
                : "\(path):\(line): human subject \"\(subject)\" in model results (rows of subject-… belong in --humans)"
        case let .noHumanData(dataset, path):
            return "\(path): no human data for dataset \(dataset)"
        case let .noData(paths):
            return "\(paths.joined(separator: ", ")): no raw-data CSV files (expected raw-data/<dataset>/*.csv or <dataset>/*.csv)"
        }
    }
}
