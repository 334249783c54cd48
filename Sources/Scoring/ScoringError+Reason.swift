import ErrorText

extension ScoringError {
    /// The words for why a file operation failed (the errno's text where Foundation carries one): `ErrorText.reason`.
    public static func reason(for error: any Error) -> String { ErrorText.reason(for: error) }
}
