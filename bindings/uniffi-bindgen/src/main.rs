//! `uniffi-bindgen`: generates the Swift, Kotlin and Python bindings of omega-swift from its
//! built library (`uniffi-bindgen generate target/debug/libomega_swift.so --language swift …`).
//! Run it from inside the workspace: it calls `cargo metadata` to find `bindings/swift/uniffi.toml`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
