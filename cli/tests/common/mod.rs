//! Helpers for the `omega` binary tests: run it, make keys, write trees, parse JSON.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod nginx;
pub mod registry;

/// The outcome of one run of `omega`.
#[derive(Debug)]
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit status, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, status: i32) -> Run {
        assert_eq!(
            self.status, status,
            "exit status {} (expected {status})\n--- stdout\n{}\n--- stderr\n{}",
            self.status, self.stdout, self.stderr
        );
        self
    }

    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Parses stdout as one JSON object.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}):\n{}", self.stdout))
    }
}

/// A command for the built `omega`, isolated from the user's environment: no password in the
/// environment, minisign's config dir inside `dir`, no colours.
pub fn omega_cmd(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omega"));
    c.current_dir(dir)
        .env_remove("OMEGA_PASSWORD")
        .env("MINISIGN_CONFIG_DIR", dir.join(".minisign-home"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

/// Runs a prepared command and collects its output.
pub fn run_cmd(mut c: Command) -> Run {
    let out = c.output().expect("run command");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `omega ARGS` in `dir`.
pub fn omega(dir: &Path, args: &[&str]) -> Run {
    let mut c = omega_cmd(dir);
    c.args(args);
    run_cmd(c)
}

/// A key pair made with `omega keygen -W`: secret key path, public key path, `RW…` key.
#[derive(Clone, Debug)]
pub struct Key {
    pub sec: PathBuf,
    pub public: PathBuf,
    pub key: String,
}

impl Key {
    pub fn sec(&self) -> &str {
        self.sec.to_str().unwrap()
    }
    pub fn public(&self) -> &str {
        self.public.to_str().unwrap()
    }
    /// The key id as Ωpm prints it (16 hex digits). The key file's comment is minisign's
    /// form, without leading zeros, so it is padded back.
    pub fn id(&self) -> String {
        let text = fs::read_to_string(&self.public).unwrap();
        let comment_id = text.lines().next().unwrap().rsplit(' ').next().unwrap();
        format!("{comment_id:0>16}")
    }
}

/// Makes an unencrypted key pair named `name` in `dir`.
pub fn keygen(dir: &Path, name: &str) -> Key {
    let sec = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    omega(
        dir,
        &[
            "keygen",
            "-W",
            "-s",
            sec.to_str().unwrap(),
            "-p",
            public.to_str().unwrap(),
        ],
    )
    .expect(0);
    let key = public_key_line(&public);
    Key { sec, public, key }
}

/// The `RW…` line of a public key file.
pub fn public_key_line(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string()
}

/// Writes `files` (`path`, contents) below `root`, creating directories.
pub fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (p, c) in files {
        let path = root.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, c).unwrap();
    }
}

/// `omega pack DIR --name N --version V --sequence S -s KEY EXTRA…`, expecting success.
pub fn pack(
    dir: &Path,
    pkg: &Path,
    name: &str,
    version: &str,
    seq: u64,
    key: &Key,
    extra: &[&str],
) {
    let seq = seq.to_string();
    let mut args = vec![
        "pack",
        pkg.to_str().unwrap(),
        "--name",
        name,
        "--version",
        version,
        "--sequence",
        &seq,
        "-s",
        key.sec(),
    ];
    args.extend_from_slice(extra);
    omega(dir, &args).expect(0);
}

/// The real minisign binary; fails (never skips) when it is missing.
pub fn minisign() -> PathBuf {
    let p = PathBuf::from("/usr/bin/minisign");
    if p.exists() {
        return p;
    }
    if let Some(found) = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("minisign"))
            .find(|c| c.exists())
    }) {
        return found;
    }
    panic!("the minisign binary is required for the interoperability tests: run scripts/setup.sh (it installs minisign)");
}

/// The repository root (the parent of `cli/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The codes of a JSON `problems` array.
pub fn codes(problems: &serde_json::Value) -> Vec<String> {
    problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// A project folder for `omega lock`/`audit`: `<tmp>/app` with an empty `node_modules`. Each
/// test file adds its own way of installing packages (`impl Project { fn install … }`).
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("app/node_modules")).unwrap();
        Project { dir }
    }
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    pub fn app(&self) -> PathBuf {
        self.root().join("app")
    }
    pub fn lock_path(&self) -> PathBuf {
        self.app().join("omega.lock")
    }
    pub fn lock_bytes(&self) -> Vec<u8> {
        fs::read(self.lock_path()).unwrap()
    }
    pub fn lock_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.lock_bytes()).unwrap()
    }
    /// `omega ARGS…` run in the folder above `app`.
    pub fn omega(&self, args: &[&str]) -> Run {
        omega(self.root(), args)
    }
    /// `omega lock app EXTRA…`.
    pub fn lock(&self, extra: &[&str]) -> Run {
        let mut args = vec!["lock", "app"];
        args.extend_from_slice(extra);
        self.omega(&args)
    }
    /// `omega audit app EXTRA…`.
    pub fn audit(&self, extra: &[&str]) -> Run {
        let mut args = vec!["audit", "app"];
        args.extend_from_slice(extra);
        self.omega(&args)
    }
}
