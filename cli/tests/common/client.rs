//! Helpers for the registry client's tests (cli/tests/registry_install.rs): a registry folder
//! with a janitor, an owner and a witness, served by nginx from a folder that tests can swap
//! (a stale mirror, a fork), and a project whose `node_modules` and `omega.lock` are
//! snapshotted (bytes, modes, mtimes) to assert that a refusal changed nothing.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::common::{keygen, omega_cmd, pack, run_cmd, write_tree, Key, Run};

pub const ORIGIN: &str = "registry.test/log";

/// A registry world in one temporary folder: keys, `reg/` (the registry), `serve/` (what
/// nginx serves: a copy of `reg/` made by [`World::serve`]), `app/`, and the user cache.
pub struct World {
    pub dir: tempfile::TempDir,
    pub janitor: Key,
    pub owner: Key,
    pub stranger: Key,
    pub witness: PathBuf,
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let janitor = keygen(&root, "janitor");
        let owner = keygen(&root, "owner");
        let stranger = keygen(&root, "stranger");
        let witness = keygen(&root, "witness").sec;
        let w = World {
            dir,
            janitor,
            owner,
            stranger,
            witness,
        };
        let vkey = w
            .omega(&[
                "witness",
                "key",
                w.witness.to_str().unwrap(),
                "--name",
                "w1",
            ])
            .expect(0)
            .stdout
            .trim()
            .to_string();
        let reg = w.reg();
        w.omega(&[
            "registry",
            "init",
            reg.to_str().unwrap(),
            "--origin",
            ORIGIN,
            "--mode",
            "open",
            "--janitor",
            &w.janitor.key,
            "-s",
            w.janitor.sec(),
            "--witness",
            &vkey,
        ])
        .expect(0);
        fs::create_dir_all(w.app().join("node_modules")).unwrap();
        w
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    pub fn reg(&self) -> PathBuf {
        self.root().join("reg")
    }
    pub fn serve_dir(&self) -> PathBuf {
        self.root().join("serve")
    }
    pub fn app(&self) -> PathBuf {
        self.root().join("app")
    }
    pub fn cache(&self) -> PathBuf {
        self.root().join("cache")
    }

    /// `omega ARGS` with the world's user cache.
    pub fn omega_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = omega_cmd(self.root());
        c.env("XDG_CACHE_HOME", self.cache());
        for (k, v) in env {
            c.env(k, v);
        }
        c.args(args);
        run_cmd(c)
    }
    pub fn omega(&self, args: &[&str]) -> Run {
        self.omega_env(args, &[])
    }

    /// Packs and publishes `name@version` (sequence `seq`) signed by `key` into `reg`.
    pub fn publish_in(&self, reg: &Path, name: &str, version: &str, seq: u64, key: &Key) -> Run {
        let pkg = self.root().join(format!("pkg-{name}-{version}"));
        let _ = fs::remove_dir_all(&pkg);
        let body = format!("module.exports = {{ name: {name:?}, version: {version:?} }};\n");
        write_tree(
            &pkg,
            &[("index.js", body.as_str()), ("package.json", "{}\n")],
        );
        pack(self.root(), &pkg, name, version, seq, key, &[]);
        self.omega(&[
            "publish",
            pkg.to_str().unwrap(),
            "--registry",
            reg.to_str().unwrap(),
            "-s",
            key.sec(),
        ])
    }
    pub fn publish(&self, name: &str, version: &str, seq: u64, key: &Key) {
        self.publish_in(&self.reg(), name, version, seq, key)
            .expect(0);
    }

    /// The witness cosigns `reg`'s checkpoint (its state in `wstate`) and the line is added.
    pub fn cosign_in(&self, reg: &Path, wstate: &str) {
        let policy = fs::read_to_string(reg.join("policy")).unwrap();
        let log_key = policy
            .lines()
            .find_map(|l| l.strip_prefix("log "))
            .unwrap()
            .to_string();
        let cp = reg.join("checkpoint");
        let state = self.root().join(wstate);
        let line = self
            .omega(&[
                "witness",
                "cosign",
                cp.to_str().unwrap(),
                "--log-key",
                &log_key,
                "--state",
                state.to_str().unwrap(),
                "--name",
                "w1",
                "-s",
                self.witness.to_str().unwrap(),
                "--new-log",
            ])
            .expect(0)
            .stdout
            .trim()
            .to_string();
        self.omega(&["registry", "cosign", reg.to_str().unwrap(), &line])
            .expect(0);
    }
    pub fn cosign(&self) {
        self.cosign_in(&self.reg(), "wstate");
    }

    /// A statement made by `omega statement KIND NAME …`, signed by `signers`, submitted.
    pub fn submit(&self, kind: &str, name: &str, extra: &[&str], signers: &[&Key]) -> Run {
        let file = self.root().join(format!("st-{kind}-{name}.json"));
        let _ = fs::remove_file(&file);
        let _ = fs::remove_file(file.with_extension("json.minisig"));
        let reg = self.reg();
        let mut args = vec!["statement", kind, name, "--registry", reg.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", file.to_str().unwrap()]);
        self.omega(&args).expect(0);
        for k in signers {
            self.omega(&["sign", file.to_str().unwrap(), "-s", k.sec(), "--append"])
                .expect(0);
        }
        self.omega(&[
            "registry",
            "submit",
            reg.to_str().unwrap(),
            file.to_str().unwrap(),
        ])
    }

    /// Appends `entries` to `reg/` as a misbehaving registry would (it holds the log key):
    /// straight through core's `Publisher`, skipping the validation `registry submit` does,
    /// and writes `objects` (content-addressed). Cosign and serve afterwards.
    pub fn append_raw(&self, entries: &[Vec<u8>], objects: &[Vec<u8>]) {
        use omega_core::checkpoint::Checkpoint;
        use omega_core::note::{sign_ed25519, Note};
        use omega_core::tiles::Publisher;
        let reg = self.reg();
        let log_key = self.secret(&reg.join(".keys/log.key"));
        let note = Note::parse(&fs::read(reg.join("checkpoint")).unwrap()).unwrap();
        let cp = Checkpoint::parse(note.text()).unwrap();
        let mut tiles = BTreeMap::new();
        fn walk(base: &Path, d: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for e in fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(base, &p, out);
                } else {
                    let rel = p.strip_prefix(base).unwrap().to_str().unwrap().to_string();
                    out.insert(rel, fs::read(&p).unwrap());
                }
            }
        }
        walk(&reg, &reg.join("tile"), &mut tiles);
        let mut publisher = Publisher::resume(cp.size, &cp.root, &tiles).unwrap();
        let refs: Vec<&[u8]> = entries.iter().map(Vec::as_slice).collect();
        let app = publisher.append(&refs).unwrap();
        for f in app.files {
            let p = reg.join(f.path.to_string());
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, f.bytes).unwrap();
        }
        for o in objects {
            let p = reg.join(omega_core::client::object_path(
                &omega_core::hash::blake2b256(o),
            ));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, o).unwrap();
        }
        let text = Checkpoint {
            origin: cp.origin.clone(),
            size: app.size,
            root: app.root,
            extensions: vec![],
        }
        .to_text();
        let mut note = Note::new(&text).unwrap();
        note.add_signature(sign_ed25519(&text, &cp.origin, &log_key).unwrap())
            .unwrap();
        fs::write(reg.join("checkpoint"), note.to_text()).unwrap();
    }

    /// A secret key file without a password, decrypted.
    pub fn secret(&self, path: &Path) -> omega_core::secret::SecretKey {
        omega_core::secret::SecretKeyFile::parse(&fs::read(path).unwrap())
            .unwrap()
            .decrypt(None)
            .unwrap()
    }

    /// Replaces `serve/` with a copy of `from`.
    pub fn serve_from(&self, from: &Path) {
        let s = self.serve_dir();
        let _ = fs::remove_dir_all(&s);
        copy_dir(from, &s);
    }
    /// Replaces `serve/` with a copy of `reg/`.
    pub fn serve(&self) {
        self.serve_from(&self.reg());
    }

    /// A world with `names` published at 1.0.0 by their owner, cosigned, and served over
    /// http by nginx (on 127.0.0.1; stopped when the `Nginx` is dropped).
    pub fn served(names: &[&str]) -> (World, crate::common::nginx::Nginx) {
        let w = World::new();
        for name in names {
            w.publish(name, "1.0.0", 1, &w.owner);
        }
        w.cosign();
        w.serve();
        let n = crate::common::nginx::Nginx::start(&w.serve_dir());
        (w, n)
    }

    /// `omega install ARGS… --root app`.
    pub fn install(&self, args: &[&str]) -> Run {
        let app = self.app();
        let mut a = vec!["install"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--root", app.to_str().unwrap()]);
        self.omega(&a)
    }

    /// Every file and folder of `app/` (lock included) with bytes, mode and mtime.
    pub fn app_snapshot(&self) -> BTreeMap<PathBuf, (Vec<u8>, u32, i64)> {
        snapshot_meta(&self.app())
    }
    /// The same for `app/node_modules` only, with the folder's own entry left out.
    pub fn modules_snapshot(&self) -> BTreeMap<PathBuf, (Vec<u8>, u32, i64)> {
        let mut s = snapshot_meta(&self.app().join("node_modules"));
        s.remove(Path::new(""));
        s
    }
    pub fn lock_json(&self) -> serde_json::Value {
        serde_json::from_slice(&fs::read(self.app().join("omega.lock")).unwrap()).unwrap()
    }
}

/// The code of a refusal (`omega: CODE: …` on stderr), if any.
pub fn code(run: &Run) -> Option<String> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("omega: "))
        .filter_map(|l| l.split(':').next())
        .find(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'))
        .map(str::to_string)
}

pub fn snapshot_meta(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32, i64)> {
    fn walk(base: &Path, d: &Path, out: &mut BTreeMap<PathBuf, (Vec<u8>, u32, i64)>) {
        let m = fs::symlink_metadata(d).unwrap();
        out.insert(
            d.strip_prefix(base).unwrap().to_path_buf(),
            (Vec::new(), m.mode(), m.mtime()),
        );
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                walk(base, &p, out);
            } else if m.file_type().is_symlink() {
                // A link is recorded as its target, never followed.
                let target = fs::read_link(&p).unwrap();
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    (
                        target.as_os_str().as_encoded_bytes().to_vec(),
                        m.mode(),
                        m.mtime(),
                    ),
                );
            } else {
                out.insert(
                    p.strip_prefix(base).unwrap().to_path_buf(),
                    (fs::read(&p).unwrap(), m.mode(), m.mtime()),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            fs::copy(&p, &t).unwrap();
        }
    }
}
