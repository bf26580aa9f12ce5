//! The saved registry state in the user cache (docs/registry.md "Per-name saved state
//! (state6)"): a warm install with no new entries writes nothing to the state folder, whole
//! (small states) or as pieces (`OMEGA_STATE_WHOLE_MAX_ENTRIES=0`); a new entry writes only a
//! new header, its root and the pieces that changed; a piece missing from the cache means a
//! replay from entry 0, said on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/client.rs"]
mod fixture;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::Run;
use fixture::World;

/// Every file below `dir`: (inode, mtime in ns, bytes). A rewrite by rename is a new inode.
fn files(dir: &Path) -> BTreeMap<PathBuf, (u64, i128, Vec<u8>)> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<PathBuf, (u64, i128, Vec<u8>)>) {
        let Ok(rd) = fs::read_dir(d) else { return };
        for e in rd {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                walk(base, &p, out);
            } else {
                let t = i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec());
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    (m.ino(), t, fs::read(&p).unwrap()),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn origin_cache(w: &World) -> PathBuf {
    let policy = fs::read_to_string(w.reg().join("policy")).unwrap();
    let key = policy
        .lines()
        .find_map(|l| l.strip_prefix("log "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap();
    let hex = omega_core::hash::to_hex(&omega_core::hash::blake2b256(key.as_bytes()));
    w.cache()
        .join("omega")
        .join(format!("registry.test_2flog@{}", &hex[..16]))
}

fn install(w: &World, args: &[&str], env: &[(&str, &str)]) -> Run {
    let app = w.app();
    let mut a = vec!["install"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--root", app.to_str().unwrap()]);
    w.omega_env(&a, env)
}

fn pinned_state(w: &World) -> String {
    w.lock_json()["registries"][fixture::ORIGIN]["state"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Both forms: first use, then a warm install from the lock with `node_modules` removed and
/// no new entry: the state folder is untouched (no file written, replaced or removed).
#[test]
fn a_warm_install_with_no_new_entries_writes_nothing_to_the_state_folder() {
    for env in [vec![], vec![("OMEGA_STATE_WHOLE_MAX_ENTRIES", "0")]] {
        let (w, n) = World::served(&["left-pad"]);
        let url = n.http_url();
        install(&w, &["left-pad", "--registry", &url], &env).expect(0);
        let states = origin_cache(&w).join("state");
        let pinned = pinned_state(&w);
        let header = fs::read(states.join(format!("{pinned}.json"))).unwrap();
        let pieces = states.join("p");
        if env.is_empty() {
            assert!(header.starts_with(b"{\"omega-registry-state\":1"));
            assert!(!pieces.exists());
        } else {
            assert!(header.starts_with(b"{\"omega-state-header\":1"));
            assert!(pieces.is_dir());
        }
        let before = files(&states);
        fs::remove_dir_all(w.app().join("node_modules")).unwrap();
        let run = install(&w, &[], &env).expect(0);
        assert!(!run.stderr.contains("replay"), "{}", run.stderr);
        assert!(w.app().join("node_modules/left-pad/index.js").exists());
        assert_eq!(files(&states), before, "the state folder changed ({env:?})");
        assert_eq!(pinned_state(&w), pinned);
        // status and audit --online write nothing either.
        let app = w.app();
        w.omega_env(&["status", "--root", app.to_str().unwrap()], &env)
            .expect(0);
        w.omega_env(&["audit", app.to_str().unwrap(), "--online"], &env)
            .expect(0);
        assert_eq!(files(&states), before, "status/audit changed it ({env:?})");
    }
}

/// As pieces: a new release of another name writes a new header and root, and the new
/// name's record and bucket, nothing else; the next warm install resumes from it (only the
/// lock's names loaded) and installs both; a record missing from the cache makes the next
/// run replay from entry 0 (said), and it still installs.
#[test]
fn pieces_are_written_only_when_they_change_and_a_missing_one_means_a_replay() {
    let env = [("OMEGA_STATE_WHOLE_MAX_ENTRIES", "0")];
    let (w, n) = World::served(&["left-pad"]);
    let url = n.http_url();
    install(&w, &["left-pad", "--registry", &url], &env).expect(0);
    let states = origin_cache(&w).join("state");
    let before = files(&states);
    w.publish("right-pad", "1.0.0", 1, &w.owner);
    w.cosign();
    w.serve();
    let run = install(&w, &["right-pad"], &env).expect(0);
    assert!(!run.stderr.contains("replay"), "{}", run.stderr);
    let after = files(&states);
    let new: Vec<&PathBuf> = after
        .keys()
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    let gone: Vec<&PathBuf> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    assert!(gone.is_empty(), "{gone:?}");
    let pinned = pinned_state(&w);
    let (heads, pieces): (Vec<&&PathBuf>, Vec<&&PathBuf>) =
        new.iter().partition(|p| p.parent() == Some(Path::new("")));
    let mut heads: Vec<String> = heads.iter().map(|p| p.display().to_string()).collect();
    heads.sort();
    assert_eq!(
        heads,
        vec![format!("{pinned}.json"), format!("{pinned}.root")],
        "{new:?}"
    );
    // right-pad's record and bucket (the two releases' entries are new too, but left-pad's
    // record did not change).
    assert_eq!(pieces.len(), 2, "{new:?}");
    // Warm from the lock: both installed from the pieces.
    fs::remove_dir_all(w.app().join("node_modules")).unwrap();
    let run = install(&w, &[], &env).expect(0);
    assert!(!run.stderr.contains("replay"), "{}", run.stderr);
    assert!(w.app().join("node_modules/right-pad/index.js").exists());
    // A piece lost: replayed from entry 0, said, still installed.
    for p in &pieces {
        fs::remove_file(states.join(p)).unwrap();
    }
    fs::remove_dir_all(w.app().join("node_modules")).unwrap();
    let run = install(&w, &[], &env).expect(0);
    assert!(run.stderr.contains("replay"), "{}", run.stderr);
    assert!(w.app().join("node_modules/left-pad/index.js").exists());
    assert!(w.app().join("node_modules/right-pad/index.js").exists());
    // A piece changed on disk (same name): the same.
    for p in after.keys().filter(|p| p.starts_with("p")) {
        if let Ok(mut b) = fs::read(states.join(p)) {
            b.push(b' ');
            fs::write(states.join(p), b).unwrap();
        }
    }
    fs::remove_dir_all(w.app().join("node_modules")).unwrap();
    let run = install(&w, &[], &env).expect(0);
    assert!(run.stderr.contains("replay"), "{}", run.stderr);
    assert!(w.app().join("node_modules/right-pad/index.js").exists());
}

/// Sets the modification time of every file below `dir` (not the folders) to `ago` before now.
fn backdate(dir: &Path, ago: std::time::Duration) {
    let t = std::time::SystemTime::now() - ago;
    for p in files(dir).keys() {
        let f = fs::File::options().write(true).open(dir.join(p)).unwrap();
        f.set_modified(t).unwrap();
    }
}

/// The pieces the headers in `states` reach, read the way core reads them.
fn reached_from_headers(states: &Path) -> std::collections::BTreeSet<[u8; 32]> {
    use omega_core::state_store::{reachable_pieces, FnSource};
    let source = FnSource(|h: &[u8; 32]| {
        let hex = omega_core::hash::to_hex(h);
        fs::read(states.join("p").join(&hex[..2]).join(&hex)).ok()
    });
    let mut out = std::collections::BTreeSet::new();
    for e in fs::read_dir(states).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            out.extend(reachable_pieces(&fs::read(&p).unwrap(), &source).unwrap());
        }
    }
    out
}

fn pieces_in(states: &Path) -> Vec<PathBuf> {
    files(states)
        .into_keys()
        .filter(|p| p.starts_with("p"))
        .collect()
}

/// Pieces no kept header reaches are collected when saving a state prunes an older header:
/// only those older than the grace hour, at most once a day (`state/collected`), and never one
/// a kept header reaches (a warm install from the lock after the collection does not replay).
#[test]
fn pieces_no_kept_header_reaches_are_collected_after_the_grace_hour_once_a_day() {
    let env = [("OMEGA_STATE_WHOLE_MAX_ENTRIES", "0")];
    let hour = std::time::Duration::from_secs(3600);
    let (w, n) = World::served(&["left-pad"]);
    let url = n.http_url();
    install(&w, &["left-pad", "--registry", &url], &env).expect(0);
    let states = origin_cache(&w).join("state");
    let garbage = |name: &str| {
        let hex = omega_core::hash::to_hex(&omega_core::state_store::piece_hash(name.as_bytes()));
        let p = states.join("p").join(&hex[..2]).join(&hex);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, name).unwrap();
        p
    };
    let publish_and_install = |name: &str| {
        w.publish(name, "1.0.0", 1, &w.owner);
        w.cosign();
        w.serve();
        install(&w, &[name], &env).expect(0);
    };
    // Eight headers (one per install): none pruned yet, so nothing collected.
    for i in 0..7 {
        publish_and_install(&format!("pad-{i}"));
    }
    assert!(!states.join("collected").exists());
    let old_garbage = garbage("old garbage");
    // Pieces only: headers all given one time would tie, and which one pruning drops would
    // depend on their hashes (the lock's, never dropped, came last one run in eight: flaky).
    backdate(&states.join("p"), 2 * hour);
    let fresh_garbage = garbage("fresh garbage");
    // The ninth header prunes the first: pieces are collected.
    publish_and_install("pad-7");
    assert!(
        states.join("collected").exists(),
        "pruning a header collects"
    );
    assert!(
        !old_garbage.exists(),
        "an old piece no header reaches is removed"
    );
    assert!(
        fresh_garbage.exists(),
        "a piece younger than the grace hour stays"
    );
    // What is left: the pieces the eight kept headers reach, and young ones.
    let reached = reached_from_headers(&states);
    for p in pieces_in(&states) {
        let young = fs::metadata(states.join(&p)).unwrap().modified().unwrap()
            > std::time::SystemTime::now() - hour;
        let hash = omega_core::hash::parse_hex32(p.file_name().unwrap().to_str().unwrap(), "piece")
            .unwrap();
        assert!(
            young || reached.contains(&hash),
            "{p:?} is old and no kept header reaches it"
        );
    }
    // Every kept header still loads: a warm install of everything from the lock, no replay.
    fs::remove_dir_all(w.app().join("node_modules")).unwrap();
    let run = install(&w, &[], &env).expect(0);
    assert!(!run.stderr.contains("replay"), "{}", run.stderr);
    for i in 0..8 {
        assert!(w
            .app()
            .join(format!("node_modules/pad-{i}/index.js"))
            .exists());
    }
    // Within the day: another prune collects nothing.
    let later_garbage = garbage("later garbage");
    backdate(&states.join("p"), 2 * hour);
    publish_and_install("pad-8");
    assert!(later_garbage.exists(), "collected at most once a day");
    // A day later: collected.
    backdate(&states.join("p"), 25 * hour);
    fs::File::options()
        .write(true)
        .open(states.join("collected"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - 25 * hour)
        .unwrap();
    publish_and_install("pad-9");
    assert!(!later_garbage.exists());
    fs::remove_dir_all(w.app().join("node_modules")).unwrap();
    let run = install(&w, &[], &env).expect(0);
    assert!(!run.stderr.contains("replay"), "{}", run.stderr);
    assert!(w.app().join("node_modules/pad-9/index.js").exists());
}

/// Review (atk7, ST10): a record a kept header reaches but the cache lacks — what the
/// collection leaves when another omega resumed from a header it pruned and then wrote a new
/// header over the unchanged pieces (ST7's race), or what a deleted piece leaves (ST3). The
/// lock's names load, so the state is resumed; a name loaded later (`omega install right-pad`)
/// misses its record: `NOT_FOUND`. That failed again on every run ("remove its state/
/// folder"); now the header is dropped with the failure, and the next run replays and installs.
#[test]
fn review_a_record_missing_behind_a_kept_header_fails_once_then_replays() {
    let env = [("OMEGA_STATE_WHOLE_MAX_ENTRIES", "0")];
    let (w, n) = World::served(&["left-pad", "right-pad"]);
    let url = n.http_url();
    install(&w, &["left-pad", "--registry", &url], &env).expect(0);
    let states = origin_cache(&w).join("state");
    // right-pad's record: a piece naming right-pad whose hash another piece (its bucket) lists.
    let all = files(&states);
    let pieces: Vec<(&PathBuf, &Vec<u8>)> = all
        .iter()
        .filter(|(p, _)| p.starts_with("p"))
        .map(|(p, (_, _, b))| (p, b))
        .collect();
    let has = |b: &[u8], needle: &[u8]| b.windows(needle.len()).any(|w| w == needle);
    let record = pieces
        .iter()
        .map(|(p, _)| *p)
        .find(|p| {
            let hex = p.file_name().unwrap().to_str().unwrap().as_bytes();
            has(&all[*p].2, b"right-pad") && pieces.iter().any(|(_, b)| has(b, hex))
        })
        .unwrap();
    fs::remove_file(states.join(record)).unwrap();
    let first = install(&w, &["right-pad"], &env).expect(2);
    assert!(first.stderr.contains("NOT_FOUND"), "{}", first.stderr);
    assert!(
        first.stderr.contains("next run replays"),
        "{}",
        first.stderr
    );
    let second = install(&w, &["right-pad"], &env).expect(0);
    assert!(second.stderr.contains("replay"), "{}", second.stderr);
    assert!(w.app().join("node_modules/right-pad/index.js").exists());
    assert!(w.app().join("node_modules/left-pad/index.js").exists());
}
