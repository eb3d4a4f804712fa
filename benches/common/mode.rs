// SPDX-License-Identifier: MIT OR Apache-2.0
//! How big a benchmark run is. `cargo bench` passes `--bench` to every benchmark
//! binary: then the full sizes are used. Without it (`cargo test --benches`, as
//! scripts/test.sh runs them) a benchmark runs once at a tiny size, so that CI proves
//! every benchmark still starts and runs to its end; its figures mean nothing then.

/// True unless started by `cargo bench`.
pub fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// A size: the environment variable `name` if set, else `full` under `cargo bench`,
/// else `small`.
pub fn size(name: &str, full: usize, small: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) if quick() => small,
        Err(_) => full,
    }
}
