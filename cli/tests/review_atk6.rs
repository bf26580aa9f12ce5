//! Session 6 adversarial review (atk6), through `omega install` (a host loop over core's
//! reader): a split view proven by the user cache's genuine tiles is reported as a fork
//! (`LOG_INCONSISTENT` with an evidence file) and those tiles are kept (threat model AT1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/client.rs"]
mod fixture;

use std::fs;
use std::path::{Path, PathBuf};

use fixture::{code, World};

/// Every file under `dir` whose path holds `/tile/`, with its bytes.
fn tiles_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() && p.to_string_lossy().contains("/tile/") {
                out.push((p.clone(), fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// AT1: the user installed from the honest log at 6 entries (its checkpoint in the lock and
/// the user cache, its tiles in the user cache). The registry forks at 4 entries (another
/// entry 3, signed and cosigned) and a mirror serves the fork: it looks merely behind and
/// lacks the tiles of 6. The consistency proof from the user cache's genuine tiles fails:
/// `LOG_INCONSISTENT` with the evidence file, nothing written to app/, and the cached tiles
/// kept. Before the fix: `STALE` ("use an up-to-date source"), no evidence, and the genuine
/// cached tile deleted as "failed verification".
#[test]
fn finding_a_fork_shown_by_cached_tiles_is_log_inconsistent_and_the_tiles_are_kept() {
    let (w, n) = World::served(&["left-pad"]);
    let url = n.http_url();
    w.install(&["left-pad", "--registry", &url]).expect(0);
    // The fork's copy, from here.
    let fork = w.root().join("fork");
    fixture::copy_dir(&w.reg(), &fork);
    fixture::copy_dir(&w.root().join("wstate"), &w.root().join("wstate-fork"));
    // The honest log grows by two releases; the user installs from it.
    w.publish("left-pad", "1.1.0", 2, &w.owner);
    w.publish("left-pad", "1.2.0", 3, &w.owner);
    w.cosign();
    w.serve();
    w.install(&["left-pad"]).expect(0);
    let cached = tiles_under(&w.cache());
    assert!(!cached.is_empty());
    // The fork: one release, cosigned by a witness state of its own; served.
    w.publish_in(&fork, "left-pad", "1.1.0-evil", 2, &w.owner)
        .expect(0);
    w.cosign_in(&fork, "wstate-fork");
    w.serve_from(&fork);
    let before = w.app_snapshot();
    let run = w.install(&["left-pad"]).expect(1);
    assert_eq!(
        code(&run).as_deref(),
        Some("LOG_INCONSISTENT"),
        "--- stderr\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("evidence written to"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("removed from the user cache"),
        "{}",
        run.stderr
    );
    assert_eq!(w.app_snapshot(), before, "app/ changed on a refusal");
    assert_eq!(tiles_under(&w.cache()), cached, "cached tiles changed");
}
