#!/usr/bin/env bash
# Generates the Python, Kotlin and Swift bindings of Carnet's app core (crates/carnet-ffi)
# into OUT_DIR, from the library as built (UniFFI library mode: the interface is read from
# the built cdylib, so the bindings always match it).
#
#   scripts/bindings.sh OUT_DIR [--release]
#
# Writes OUT_DIR/python/carnet.py (beside it, a link to the library it loads, so
# `PYTHONPATH=OUT_DIR/python python3 -c 'import carnet'` works), OUT_DIR/kotlin/uniffi/carnet/carnet.kt
# and OUT_DIR/swift/{carnet.swift,carnetFFI.h,carnetFFI.modulemap}. The Kotlin and Swift
# sources are compiled by the app's own build (with the library cross-compiled for its
# targets: cargo-ndk for Android, an XCFramework for iOS), not here.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: scripts/bindings.sh OUT_DIR [--release]" >&2
    exit 2
fi
out="$1"
profile=debug
flags=()
if [ "${2:-}" = --release ]; then
    profile=release
    flags=(--release)
elif [ -n "${2:-}" ]; then
    echo "usage: scripts/bindings.sh OUT_DIR [--release]" >&2
    exit 2
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
cargo build -p carnet-ffi --lib "${flags[@]}"
cargo build -p carnet-ffi --features bindgen --bin uniffi-bindgen "${flags[@]}"

case "$(uname -s)" in
    Darwin) lib="$CARGO_TARGET_DIR/$profile/libcarnet_ffi.dylib" ;;
    MINGW* | MSYS* | CYGWIN*) lib="$CARGO_TARGET_DIR/$profile/carnet_ffi.dll" ;;
    *) lib="$CARGO_TARGET_DIR/$profile/libcarnet_ffi.so" ;;
esac
bindgen="$CARGO_TARGET_DIR/$profile/uniffi-bindgen"

mkdir -p "$out/python" "$out/kotlin" "$out/swift"
"$bindgen" generate --library "$lib" --language python --out-dir "$out/python" --no-format
"$bindgen" generate --library "$lib" --language kotlin --out-dir "$out/kotlin" --no-format
"$bindgen" generate --library "$lib" --language swift --out-dir "$out/swift" --no-format
# A link to the library, which the module loads from its own directory (copy it instead
# to ship the directory elsewhere).
ln -sf "$lib" "$out/python/"
echo "bindings of $lib written to $out/{python,kotlin,swift}"
