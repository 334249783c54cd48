/// An error the CLI reports as one line on stderr, exiting 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
