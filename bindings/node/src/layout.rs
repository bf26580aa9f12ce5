//! The enforcing loader's layout checks (`lib/enforce.js`), one call per resolution or load:
//! omega-core's [`Layout`] decides where the file stands, which `node_modules/<name>` a bare
//! name finds and the link verdicts, in order; this module answers its questions about the disk
//! (`stat`, `realpath`) and performs a [`Step::Check`] itself (the file against its package's
//! verified table, `files::check` / `files::read`), so a resolution of a file whose packages
//! are already open is one call returning 0. Any other step comes back as its number
//! (`Step::code`) for the JS to act on (open a package, check a dependency pin, refuse), its
//! names from [`layout_detail`].

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, OnceLock};

use napi::bindgen_prelude::{Buffer, Either, Either3};
use napi_derive::napi;
use omega_core::layout::{Layout, LayoutHost, Resolution, Scope, Stage, Step};

use crate::envelope::envelope;

/// The disk as the layout sees it. `real_dirs`: the folders from `/` down to the project
/// folder `root` already found to be real directories (no link), kept for the process: above
/// and at the project, where the packages' writer has no say (the project is the lock's real
/// folder). Below it every component is looked at again for each new question (the layout
/// keeps each package folder's verdict, N1; threat model N21).
struct Disk<'a> {
    real_dirs: &'a mut HashSet<String>,
    root: &'a str,
}

impl LayoutHost for Disk<'_> {
    fn is_dir(&mut self, path: &str) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.is_dir())
    }
    /// `realpath(path) == path` for the normalized absolute paths the layout asks about:
    /// every component exists and none is a symbolic link, found with one `lstat` per
    /// component below the project (those down to the project once per process), where
    /// `realpath(3)` would `readlink` every component from `/`; other paths go to
    /// `canonicalize`.
    fn is_real(&mut self, path: &str) -> bool {
        if !normalized_absolute(path) {
            return std::fs::canonicalize(path)
                .is_ok_and(|r| r.as_os_str() == std::ffi::OsStr::new(path));
        }
        let mut end = 0;
        while end < path.len() {
            end = path[end + 1..]
                .find('/')
                .map_or(path.len(), |i| end + 1 + i);
            let prefix = &path[..end];
            if self.real_dirs.contains(prefix) {
                continue;
            }
            match std::fs::symlink_metadata(prefix) {
                Ok(m) if m.file_type().is_symlink() => return false,
                Ok(m) if m.is_dir() => {
                    let at_or_above_root = self.root == prefix
                        || (self.root.starts_with(prefix)
                            && self.root.as_bytes().get(prefix.len()) == Some(&b'/'));
                    if at_or_above_root {
                        self.real_dirs.insert(prefix.to_string());
                    }
                }
                // A file is real only as the last component.
                Ok(_) if end == path.len() => {}
                _ => return false,
            }
        }
        true
    }
}

/// An absolute `/`-separated path without empty, `.` or `..` components (nor a trailing `/`).
fn normalized_absolute(path: &str) -> bool {
    path.len() > 1
        && path.starts_with('/')
        && path[1..]
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

struct State {
    layout: Layout,
    /// The project folder (real path).
    root: String,
    /// The folders found real so far (`Disk::real_dirs`).
    real_dirs: HashSet<String>,
    /// The names of the last step that was not a pass.
    detail: Vec<String>,
}

impl State {
    /// The layout and the disk it asks, borrowed together.
    fn parts(&mut self) -> (&mut Layout, Disk<'_>) {
        (
            &mut self.layout,
            Disk {
                real_dirs: &mut self.real_dirs,
                root: &self.root,
            },
        )
    }
}

fn layouts() -> MutexGuard<'static, Vec<State>> {
    static LAYOUTS: OnceLock<Mutex<Vec<State>>> = OnceLock::new();
    LAYOUTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn with<T>(h: u32, f: impl FnOnce(&mut State) -> T) -> napi::Result<T> {
    let mut all = layouts();
    let s = all
        .get_mut(h as usize)
        .ok_or_else(|| napi::Error::from_reason(format!("no layout number {h}")))?;
    Ok(f(s))
}

fn stage_of(stage: u32) -> napi::Result<Stage> {
    Ok(match stage {
        0 => Stage::Full,
        1 => Stage::Imports,
        2 => Stage::Bare,
        3 => Stage::File,
        _ => return Err(napi::Error::from_reason(format!("no stage {stage}"))),
    })
}

/// A new layout for the project at `root` (real path), omega-verify's own files at `own`: its
/// handle.
#[napi]
pub fn layout_new(root: String, own: String) -> napi::Result<u32> {
    let layout =
        Layout::try_new(&root, &own).map_err(|e| napi::Error::from_reason(e.to_string()))?;
    let mut all = layouts();
    all.push(State {
        layout,
        root,
        real_dirs: HashSet::new(),
        detail: Vec::new(),
    });
    Ok(u32::try_from(all.len() - 1).unwrap_or(u32::MAX))
}

/// The next step of a resolution's checks (`Layout::resolution`; stage 0 full, 1 imports,
/// 2 bare, 3 file) of `request` (as written): 0 when it passes (a package file and the
/// folders' `package.json` files that Node reads for it compared with their tables here), else
/// the step's number; the error envelope of a file that does not match its table.
#[allow(clippy::too_many_arguments)]
#[napi]
pub fn layout_resolve(
    h: u32,
    stage: u32,
    name: Option<String>,
    from: String,
    file: String,
    looked_up: Option<String>,
    dirs: Option<Vec<String>>,
    request: Option<String>,
) -> napi::Result<Either<u32, String>> {
    let stage = stage_of(stage)?;
    let dir_refs: Option<Vec<&str>> = dirs
        .as_ref()
        .map(|d| d.iter().map(String::as_str).collect());
    let step = with(h, |s| {
        let r = Resolution {
            request: request.as_deref(),
            name: name.as_deref(),
            from: &from,
            file: &file,
            looked_up: looked_up.as_deref(),
            dirs: dir_refs.as_deref(),
        };
        let (layout, mut disk) = s.parts();
        let step = layout.resolution(&mut disk, &r, stage);
        if !matches!(step, Step::Pass | Step::Check { .. }) {
            s.detail = step.detail();
        }
        step
    })?;
    Ok(match step {
        Step::Check { table, rel, scopes } => {
            match crate::files::check(table, &rel, std::path::Path::new(&file))
                .and_then(|()| check_scopes(&scopes))
            {
                Ok(()) => Either::A(0),
                Err(e) => Either::B(envelope(Err(e))),
            }
        }
        other => Either::A(other.code()),
    })
}

/// Checks the `package.json` files of a [`Step::Check`] (`files::check_layout_scope`).
fn check_scopes(scopes: &[Scope]) -> Result<(), omega_core::Error> {
    scopes.iter().try_for_each(crate::files::check_layout_scope)
}

/// Before Node resolves the bare name `name` from `dirs` (default `[from]`):
/// `Layout::before_resolve`'s step number.
#[napi]
pub fn layout_before(
    h: u32,
    name: String,
    dirs: Option<Vec<String>>,
    from: String,
) -> napi::Result<u32> {
    with(h, |s| {
        let refs: Vec<&str> = match &dirs {
            Some(d) => d.iter().map(String::as_str).collect(),
            None => vec![from.as_str()],
        };
        let (layout, mut disk) = s.parts();
        let step = layout.before_resolve(&mut disk, &name, &refs);
        if step != Step::Pass {
            s.detail = step.detail();
        }
        step.code()
    })
}

/// What a load gets from the layout: the verified bytes of a package file (read and compared
/// with its table), a step's number (0: the file loads as it is), or the error envelope of a
/// file that does not match its table.
enum Loaded {
    Bytes(Vec<u8>),
    Step(u32),
    Refused(String),
}

fn load(h: u32, file: &str) -> napi::Result<Loaded> {
    let step = with(h, |s| {
        let step = s.layout.load(file);
        if !matches!(step, Step::Pass | Step::Check { .. }) {
            s.detail = step.detail();
        }
        step
    })?;
    Ok(match step {
        Step::Check { table, rel, scopes } => {
            match crate::files::read(table, &rel, std::path::Path::new(file))
                .and_then(|bytes| check_scopes(&scopes).map(|()| bytes))
            {
                Ok(bytes) => Loaded::Bytes(bytes),
                Err(e) => Loaded::Refused(envelope(Err(e))),
            }
        }
        other => Loaded::Step(other.code()),
    })
}

/// Before `file` loads: its verified bytes (a package file, read and compared with its table),
/// 0 for a file that loads as it is, another step's number, or the error envelope of a file
/// that does not match its table.
#[napi]
pub fn layout_load(h: u32, file: String) -> napi::Result<Either3<Buffer, u32, String>> {
    Ok(match load(h, &file)? {
        Loaded::Bytes(bytes) => Either3::A(bytes.into()),
        Loaded::Step(code) => Either3::B(code),
        Loaded::Refused(envelope) => Either3::C(envelope),
    })
}

/// [`layout_load`] for a file Node compiles as text (JavaScript or JSON, on Node's in-thread
/// hooks): the verified bytes as the string plain Node would compile, so that no `Buffer` is
/// made and decoded in JavaScript: for a `require` (`keep_bom`) as Node's CommonJS loader reads
/// a file (`readFileUtf8`: a byte order mark kept, which then makes a `#!` line or a JSON
/// document a syntax error as it does without the loader), for an `import` as Node decodes a
/// `Buffer` source (`TextDecoder`: a leading byte order mark dropped); malformed sequences
/// replaced by U+FFFD either way. Else a step's number, or `[envelope]`, the error envelope of
/// a file that does not match its table.
#[napi]
pub fn layout_load_text(
    h: u32,
    file: String,
    keep_bom: bool,
) -> napi::Result<Either3<String, u32, Vec<String>>> {
    Ok(match load(h, &file)? {
        Loaded::Bytes(bytes) => Either3::A(decoded_text(bytes, keep_bom)),
        Loaded::Step(code) => Either3::B(code),
        Loaded::Refused(envelope) => Either3::C(vec![envelope]),
    })
}

/// The text of `bytes` as the WHATWG UTF-8 decoder gives it (V8's, behind both Node's
/// `readFileUtf8` and its `TextDecoder`): each maximal ill-formed subsequence replaced by
/// U+FFFD (Rust's `from_utf8_lossy` follows the same rule); a leading byte order mark dropped
/// unless `keep_bom` (`TextDecoder` drops it, `readFileUtf8` keeps it).
fn decoded_text(mut bytes: Vec<u8>, keep_bom: bool) -> String {
    if !keep_bom && bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        bytes.drain(..3);
    }
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The names of the last step that was not a pass (`Step::detail`).
#[napi]
pub fn layout_detail(h: u32) -> napi::Result<Vec<String>> {
    with(h, |s| s.detail.clone())
}

/// Where `file` stands: `[kind, dir, name, rel]` (`Place::parts`).
#[napi]
pub fn layout_place(h: u32, file: String) -> napi::Result<Vec<String>> {
    with(h, |s| s.layout.place(&file).parts())
}

/// The first `node_modules/<name>` from `dirs` up, as looked up, or null.
#[napi]
pub fn layout_first_entry(h: u32, name: String, dirs: Vec<String>) -> napi::Result<Option<String>> {
    let refs: Vec<&str> = dirs.iter().map(String::as_str).collect();
    with(h, |s| {
        let (layout, mut disk) = s.parts();
        layout.first_entry(&mut disk, &name, &refs)
    })
}

/// Whether `dir` is its own real path (`Layout::real_entry`: decided once per process, the
/// same verdict the bare-name checks use).
#[napi]
pub fn layout_is_real(h: u32, dir: String) -> napi::Result<bool> {
    with(h, |s| {
        let (layout, mut disk) = s.parts();
        layout.real_entry(&mut disk, &dir)
    })
}

/// The package at `dir` is open: its table (-1: none, it loads unchecked) and the names its
/// signed manifest pins.
#[napi]
pub fn layout_opened(
    h: u32,
    dir: String,
    table: i64,
    dependencies: Vec<String>,
) -> napi::Result<()> {
    let refs: Vec<&str> = dependencies.iter().map(String::as_str).collect();
    let table = u32::try_from(table).ok();
    with(h, |s| s.layout.opened(&dir, table, &refs))
}

/// The verdict on the package at `dir` was dropped: it is opened again when asked.
#[napi]
pub fn layout_forget(h: u32, dir: String) -> napi::Result<()> {
    with(h, |s| s.layout.forget(&dir))
}

/// The package at `entry` verified against `requester`'s signed pin for `name`.
#[napi]
pub fn layout_pin_checked(
    h: u32,
    requester: String,
    name: String,
    entry: String,
) -> napi::Result<()> {
    with(h, |s| s.layout.pin_checked(&requester, &name, &entry))
}
