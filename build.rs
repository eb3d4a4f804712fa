//! With feature `header-check`, generates Rust bindings from include/acm.h so
//! tests can hold the C header and src/ffi to one contract (see
//! src/ffi/header_check.rs). Without it, does nothing.

fn main() {
    println!("cargo:rerun-if-changed=include/acm.h");
    println!("cargo:rerun-if-changed=build.rs");
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
