import ErrorText
/// Everything that can go wrong reading, writing or converting a picture. Each case names the file (or
/// `name` given for in-memory data) and the problem; `description` is one line for the CLI.
public enum ImagingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read at all (missing, a folder, no permission).
    case unreadable(file: String, reason: String)
    /// The bytes are neither PNG nor JPEG.
    case notAnImage(file: String)
    /// The PNG or JPEG data ends before the image is complete.
    case truncated(file: String, format: String)
    /// The data is a damaged PNG or JPEG; `reason` is the decoder's message.
    case corrupt(file: String, format: String, reason: String)
    /// The header declares a width or height of zero.
    case zeroSized(file: String)
    /// The header declares more pixels than the limit; refused before allocating.
    case tooLarge(file: String, width: Int, height: Int, limit: Int)
    /// A valid file, or a request, this module does not handle (e.g. JPEG with an alpha channel).
    case unsupported(file: String, reason: String)
    /// The output could not be written; no partial file is left behind.
    case unwritable(file: String, reason: String)

    /// One line naming the file and the problem (control characters from the input escaped).
    public var description: String { ErrorText.oneLine(message) }

    private var message: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .notAnImage(file): return "\(file): not an image (neither PNG nor JPEG)"
        case let .truncated(file, format): return "\(file): truncated \(format) (data ends before the image is complete)"
        case let .corrupt(file, format, reason): return "\(file): corrupt \(format): \(reason)"
        case let .zeroSized(file): return "\(file): zero-sized image"
        case let .tooLarge(file, width, height, limit):
            return "\(file): image of \(width)×\(height) pixels exceeds the limit of \(limit) pixels"
        case let .unsupported(file, reason): return "\(file): unsupported: \(reason)"
        case let .unwritable(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}
