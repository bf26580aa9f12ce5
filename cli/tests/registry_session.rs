//! `omega install` as a host loop over core's reader (cli/src/install/session.rs): what a warm
//! install from the lock fetches, read from nginx's access log. The saved state the lock
//! names is resumed (no replay from entry 0), objects come from the user cache, no index note
//! is read when a witness vouches for freshness, and no path is fetched twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/client.rs"]
mod fixture;

use std::fs;
use std::path::Path;

use common::nginx::{Nginx, NginxOptions};
use fixture::World;

/// The request paths nginx logged (the combined format's `"GET /path HTTP/1.1"`), in order.
fn requests(log: &Path) -> Vec<String> {
    // nginx writes each line when its request ends; give the last one a moment.
    std::thread::sleep(std::time::Duration::from_millis(200));
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split('"').nth(1))
        .filter_map(|r| r.split(' ').nth(1))
        .map(str::to_string)
        .collect()
}

/// The requests after the first `skip`, checked: none twice, no index note, no object.
#[track_caller]
fn warm(all: &[String], skip: usize) -> Vec<String> {
    let got: Vec<String> = all.iter().skip(skip).cloned().collect();
    let mut seen = got.clone();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), got.len(), "a path fetched twice: {got:?}");
    assert!(
        !got.iter()
            .any(|p| p.starts_with("/index/") || p.starts_with("/objects/")),
        "{got:?}"
    );
    got
}

#[test]
fn a_warm_install_from_the_lock_resumes_the_saved_state_and_fetches_little() {
    let w = World::new();
    w.publish("left-pad", "1.0.0", 1, &w.owner);
    w.cosign();
    w.serve();
    let log = w.root().join("access.log");
    let n = Nginx::start_with(
        &w.serve_dir(),
        &NginxOptions {
            http_extra: format!("    access_log {};", log.display()),
            ..NginxOptions::default()
        },
    );
    let url = n.http_url();
    w.install(&["left-pad", "--registry", &url]).expect(0);
    let first = requests(&log);
    assert!(first.iter().any(|p| p == "/policy"), "{first:?}");
    assert!(first.iter().any(|p| p == "/index/left-pad"), "{first:?}");
    // Warm, same size: the checkpoint, the root tile the saved state is checked against, and
    // the entry's bundle (its inclusion); the objects from the user cache.
    fs::remove_dir_all(w.app().join("node_modules")).unwrap();
    let run = w.install(&[]).expect(0);
    assert!(!run.stderr.contains("replay"), "{}", run.stderr);
    let all = requests(&log);
    let got = warm(&all, first.len());
    assert_eq!(
        got,
        vec![
            "/checkpoint".to_string(),
            "/tile/0/000.p/3".to_string(),
            "/tile/entries/000.p/3".to_string()
        ]
    );
    assert!(w.app().join("node_modules/left-pad/index.js").exists());
    // Two entries later: the replay resumes at 3 (one bundle, the one the entry needs too).
    w.publish("right-pad", "1.0.0", 1, &w.owner);
    w.cosign();
    w.serve();
    let before = all.len();
    w.install(&[]).expect(0);
    let all = requests(&log);
    let got = warm(&all, before);
    let bundles: Vec<&String> = got
        .iter()
        .filter(|p| p.starts_with("/tile/entries/"))
        .collect();
    assert_eq!(bundles, vec!["/tile/entries/000.p/5"], "{got:?}");
    assert_eq!(
        w.lock_json()["registries"][fixture::ORIGIN]["checkpoint"]
            .as_str()
            .unwrap()
            .lines()
            .nth(1),
        Some("5")
    );
}
