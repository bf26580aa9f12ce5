// Hand-written, not generated. uniffi 0.32.2 gives OmegaError a `description` property (the
// Rust Display: "CODE: detail", as the CLI prints it) but does not declare the conformance,
// so "\(error)" and error.localizedDescription would show Swift's default reflection of the
// enum. Declaring CustomStringConvertible makes both use it.
extension OmegaError: CustomStringConvertible {}
