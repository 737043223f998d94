//! UniFFI's bindings generator, built against this workspace's uniffi version. Use it in
//! library mode on the built `carnet-ffi` cdylib (see `scripts/bindings.sh`):
//! `uniffi-bindgen generate --library target/debug/libcarnet_ffi.so --language python --out-dir DIR`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
