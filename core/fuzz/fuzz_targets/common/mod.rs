//! Shared by the fuzz targets (each includes it with `mod common;`).

use std::path::PathBuf;

/// The environment variable naming a target's seed folder (scripts/fuzz.sh sets it to
/// core/fuzz/seeds/<target>).
pub const SEEDS_ENV: &str = "OMEGA_FUZZ_SEEDS";

/// Runs once, before fuzzing starts. When `OMEGA_FUZZ_SEEDS` is set, checks that every seed
/// in that folder is accepted (`accept` returns true), and returns them. Seeds that no longer
/// parse (after a format change) would leave the fuzzer exploring only error paths, so this
/// fails loudly instead. Without the variable it does nothing and returns no seeds.
pub fn check_seeds(accept: impl Fn(&[u8]) -> bool) -> Vec<(PathBuf, Vec<u8>)> {
    let Some(dir) = std::env::var_os(SEEDS_ENV) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{SEEDS_ENV}={dir:?}: {e}"))
        .map(|entry| {
            entry
                .map(|e| e.path())
                .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "{SEEDS_ENV}={dir:?}: no seeds");
    paths
        .into_iter()
        .map(|path| {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            assert!(
                accept(&data),
                "seed {path:?} is not accepted by its parser: regenerate the seeds with core/fuzz/make-seeds.sh"
            );
            (path, data)
        })
        .collect()
}
