// SPDX-License-Identifier: MIT OR Apache-2.0
//! Build steps:
//! - the dashboard's files (`ui/`, served by `acm serve` at `/`) become a table of
//!   `include_bytes!` entries in `$OUT_DIR/ui_assets.rs`, so the binary carries them and
//!   `cargo run --release -- serve` needs nothing else (see src/serve/ui/assets.rs);
//! - the gRPC face's code from `proto/acm/v1/acm.proto`: `protox` (a .proto
//!   compiler in Rust, so no `protoc` is needed) reads it into descriptors and
//!   `tonic-prost-build` writes the messages, the server and a client to
//!   OUT_DIR (src/serve/grpc/proto.rs includes them);
//! - with feature `header-check`, Rust bindings from include/acm.h so tests can
//!   hold the C header and src/ffi to one contract (see src/ffi/header_check.rs).

use std::path::{Path, PathBuf};

fn ui_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("ui/ entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            ui_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=include/acm.h");
    println!("cargo:rerun-if-changed=build.rs");
    // A directory: cargo reruns this script when anything under it changes.
    println!("cargo:rerun-if-changed=ui");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let ui = root.join("ui");
    let mut files = Vec::new();
    ui_files(&ui, &mut files);
    let mut table = String::from("/// (path under ui/, contents), sorted by path.\n");
    table.push_str("pub static FILES: &[(&str, &[u8])] = &[\n");
    for f in &files {
        let rel = f.strip_prefix(&ui).expect("under ui/");
        let rel = rel.to_str().expect("UTF-8 file name under ui/");
        // README/notes next to vendored files are not served.
        if rel.ends_with(".md") {
            continue;
        }
        table.push_str(&format!(
            "    ({rel:?}, include_bytes!({:?})),\n",
            f.display().to_string()
        ));
    }
    table.push_str("];\n");
    std::fs::write(out.join("ui_assets.rs"), table).expect("write ui_assets.rs");

    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(["acm/v1/acm.proto"], ["proto"])
        .unwrap_or_else(|e| panic!("proto/acm/v1/acm.proto: {e}"));
    tonic_prost_build::configure()
        // The client is generic over any channel: the tests and benchmark bring
        // tonic's own (a dev-dependency), the library never dials out.
        .build_transport(false)
        .emit_rerun_if_changed(false)
        .compile_fds(fds)
        .expect("generate gRPC code");
    #[cfg(feature = "header-check")]
    {
        bindgen::Builder::default()
            .header("include/acm.h")
            .allowlist_item("acm_.*|ACM_.*")
            .layout_tests(true)
            .generate()
            .expect("bindgen could not read include/acm.h (is libclang installed?)")
            .write_to_file(out.join("acm_h.rs"))
            .expect("write bindings");
    }
}
