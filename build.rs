//! Build steps:
//! - the gRPC face's code from `proto/acm/v1/acm.proto`: `protox` (a .proto
//!   compiler in Rust, so no `protoc` is needed) reads it into descriptors and
//!   `tonic-prost-build` writes the messages, the server and a client to
//!   OUT_DIR (src/serve/grpc/proto.rs includes them);
//! - with feature `header-check`, Rust bindings from include/acm.h so tests can
//!   hold the C header and src/ffi to one contract (see src/ffi/header_check.rs).

fn main() {
    println!("cargo:rerun-if-changed=include/acm.h");
    println!("cargo:rerun-if-changed=build.rs");
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
        let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
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
