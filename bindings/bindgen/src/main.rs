//! The workspace's own uniffi-bindgen, so generated bindings always match the
//! uniffi version the library was built with.
fn main() {
    uniffi::uniffi_bindgen_main();
}
