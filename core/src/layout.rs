//! Where an enforcing loader's files stand, decided once for both engines (the native addon and
//! the WebAssembly build of the Node package `omega-verify`): which package (and so which lock
//! entry folder) a resolved file belongs to and its path there, which `node_modules/<name>` a
//! bare name finds from a folder, the link verdicts, and the order of a resolution's checks.
//!
//! No I/O: the host answers the two questions about the disk ([`LayoutHost`]: is this a
//! directory, is this path its own real path) and performs what a [`Step`] asks (open a
//! package, check a dependency pin, compare a file with its table). Paths are absolute,
//! `/`-separated and normalized (no `.`, `..` or empty component), as Node's resolution and
//! real paths give them; others are normalized first ([`normalize`]).
//!
//! The package folder of a file is the innermost `node_modules/<name>` (or
//! `node_modules/@scope/<name>`) above it; its lock entry is the one whose `path` is that folder
//! relative to the project ([`crate::Lockfile::entry_for_path`], the CLI's rule too).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::loader::Table;

const NM: &str = "/node_modules/";

/// What a host tells [`Layout`] about its disk.
pub trait LayoutHost {
    /// Whether `path` is a directory (following links, as `stat` does); false when missing.
    fn is_dir(&mut self, path: &str) -> bool;
    /// Whether `path` is its own real path (`realpath(path) == path`); false when missing.
    fn is_real(&mut self, path: &str) -> bool;
}

/// A package folder: its path and its name (`a`, `@s/b`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageDir {
    /// The folder (`<project>/…/node_modules/<name>`).
    pub dir: String,
    /// The package name.
    pub name: String,
}

/// Where a file stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// The loader's own files (omega-verify): they load as they are.
    Own,
    /// The project's own files (no `node_modules` component below the project).
    App,
    /// Not under the project.
    Outside,
    /// Directly in a `node_modules` folder, in no package folder.
    Loose,
    /// A file of a package: the package and the file's `/`-separated path in it.
    Package(PackageDir, String),
}

/// The place of every file of one folder (the file's own name left out).
#[derive(Clone, Debug)]
enum DirPlace {
    Own,
    App,
    Outside,
    Loose,
    /// The package and the folder's path in it, with a trailing `/` (empty at its top).
    Package(PackageDir, String),
}

/// Why a resolution is refused (the host writes the message: the request, the file and the
/// names below are what it shows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The path looked up under `node_modules` is or passes through a symbolic link; `package`:
    /// the package it lies in, if any.
    LinkLookedUp {
        /// The package name of the looked-up path, when it lies in a package folder.
        package: Option<String>,
    },
    /// The `node_modules/<name>` a bare name finds is or passes through a symbolic link.
    LinkEntry {
        /// The bare name.
        name: String,
        /// The entry as looked up.
        entry: String,
    },
    /// A bare name resolved to a file outside the package it stands for.
    OutsidePackage {
        /// The bare name.
        name: String,
        /// The package folder the name finds.
        entry: String,
    },
    /// The file is outside the project (OMEGA_UNPINNED=warn loads it with a warning).
    Outside,
    /// The file lies directly in a `node_modules` folder.
    Loose,
}

/// What a check needs next from the host. The host performs it (or throws) and asks again;
/// [`Step::Pass`] ends a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing left: the file may be resolved or loaded as it is.
    Pass,
    /// The file must match table `table` at path `rel` (the host compares or reads it; a
    /// failure is the refusal), and so must each of `scopes`, the `package.json` files Node
    /// may read for it, its package's own included ([`file_scopes`], and the folders a request
    /// named). Last step.
    Check {
        /// The table of the file's package.
        table: u32,
        /// The file's path in the package.
        rel: String,
        /// The `package.json` files to check, each by [`Scope::check`] on what `lstat` finds.
        scopes: Vec<Scope>,
    },
    /// The package must be verified first (its verdict kept by the host); then ask again,
    /// after [`Layout::opened`].
    Open(PackageDir),
    /// The requester's signed manifest pins `name`: the package at `entry` must verify against
    /// that pin; then ask again, after [`Layout::pin_checked`].
    DependencyPin {
        /// The requesting package.
        requester: PackageDir,
        /// The bare name.
        name: String,
        /// The package folder the name finds.
        entry: String,
    },
    /// A `#imports` request: the host checks what the map names, then asks for
    /// [`Stage::File`].
    Imports,
    /// Refused.
    Refuse(Refusal),
}

impl Step {
    /// The step as the small number a binding hands the host: 0 pass, 1 open, 2 dependency
    /// pin, 3 imports, 4 check; refusals 10 link looked up, 11 link entry, 12 outside the
    /// package, 13 outside the project, 14 loose.
    pub fn code(&self) -> u32 {
        match self {
            Step::Pass => 0,
            Step::Open(_) => 1,
            Step::DependencyPin { .. } => 2,
            Step::Imports => 3,
            Step::Check { .. } => 4,
            Step::Refuse(Refusal::LinkLookedUp { .. }) => 10,
            Step::Refuse(Refusal::LinkEntry { .. }) => 11,
            Step::Refuse(Refusal::OutsidePackage { .. }) => 12,
            Step::Refuse(Refusal::Outside) => 13,
            Step::Refuse(Refusal::Loose) => 14,
        }
    }

    /// The names a host needs for the step (its message or its action), in a fixed order:
    /// open `[dir, name]`; dependency pin `[requester dir, requester name, name, entry]`;
    /// check `[rel]`; link looked up `[package name or ""]`; link entry and outside the
    /// package `[name, entry]`; else none.
    pub fn detail(&self) -> Vec<String> {
        match self {
            Step::Open(p) => alloc::vec![p.dir.clone(), p.name.clone()],
            Step::DependencyPin {
                requester,
                name,
                entry,
            } => alloc::vec![
                requester.dir.clone(),
                requester.name.clone(),
                name.clone(),
                entry.clone()
            ],
            Step::Check { rel, .. } => alloc::vec![rel.clone()],
            Step::Refuse(Refusal::LinkLookedUp { package }) => {
                alloc::vec![package.clone().unwrap_or_default()]
            }
            Step::Refuse(Refusal::LinkEntry { name, entry })
            | Step::Refuse(Refusal::OutsidePackage { name, entry }) => {
                alloc::vec![name.clone(), entry.clone()]
            }
            _ => Vec::new(),
        }
    }
}

impl Place {
    /// `[kind, dir, name, rel]` (kind: own, app, outside, loose, package; the rest empty
    /// unless a package).
    pub fn parts(&self) -> Vec<String> {
        let kind = match self {
            Place::Own => "own",
            Place::App => "app",
            Place::Outside => "outside",
            Place::Loose => "loose",
            Place::Package(..) => "package",
        };
        match self {
            Place::Package(p, rel) => {
                alloc::vec![kind.into(), p.dir.clone(), p.name.clone(), rel.clone()]
            }
            _ => alloc::vec![kind.into(), String::new(), String::new(), String::new()],
        }
    }
}

/// A `package.json` below a package's top that Node reads for a file it resolves or loads
/// (threat model N22): the one of each folder between the file and its package folder (its
/// `type` decides whether the file is CommonJS or an ES module) and, for a request naming a
/// folder whose `main` led elsewhere (`require('./lib')` resolved outside `lib/`), that
/// folder's. Its package's table decides (`crate::loader::Table::scope`): a listed one is
/// compared with its entry, an unlisted one must be absent, a listed one present.
///
/// Every check of a file asks for all of them again, never once per process: Node looks for a
/// missing one again at a later load (threat model N22, session 11), so one written after a
/// first check must be seen at the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// The table of the package it is read for.
    pub table: u32,
    /// That package's folder.
    pub dir: String,
    /// Its path in the package (`lib/package.json`); for [`ScopeKind::Above`], its absolute
    /// path.
    pub rel: String,
    /// Which of the package's `package.json` files it is.
    pub kind: ScopeKind,
}

/// Which `package.json` a [`Scope`] is, and so what is checked of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    /// One in the package, the package's own or a folder's: a listed one is there and compared
    /// with its entry, an unlisted one is absent ([`Table::scope`]). The package's own too, at
    /// every check and not only when the package opened: Node may read it for the first time
    /// long after (a first load of a `.cjs` file reads none).
    Folder,
    /// One above the package's top that Node reads when the package has no `package.json` of
    /// its own ([`package_json_above`]): absent ([`Table::scope_above`]).
    Above,
}

impl Scope {
    /// Its absolute path.
    pub fn path(&self) -> String {
        match self.kind {
            ScopeKind::Above => self.rel.clone(),
            ScopeKind::Folder => join(&self.dir, &self.rel),
        }
    }

    /// The verdict of `table` (its package's) on this `package.json`, found on disk or not
    /// (`present`, by `lstat`): `Ok(true)` when the host must then compare its bytes with the
    /// entry, `Ok(false)` when nothing more is needed, else the refusal.
    pub fn check(&self, table: &Table, present: bool) -> crate::error::Result<bool> {
        match self.kind {
            ScopeKind::Folder => table.scope(&self.rel, present),
            ScopeKind::Above => table.scope_above(&self.rel, present).map(|()| false),
        }
    }
}

/// Which part of a resolution's checks to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Everything: own files, links, the bare name's package, then the file.
    Full,
    /// A `#imports` request: own files and links, then [`Step::Imports`].
    Imports,
    /// The bare name's checks only (a bare target of an imports map).
    Bare,
    /// The file's checks only.
    File,
}

/// A resolution to check: `request` (its package name `name` when it is bare) from the folder
/// `from` resolved to the real path `file`; `looked_up` is the path Node looked up before it
/// followed links, when known; `dirs`, the folders whose `node_modules` the lookup searched
/// (`None`: `from`).
#[derive(Clone, Copy, Debug)]
pub struct Resolution<'a> {
    /// The request as written (`None`: not known; no folder request is then looked for).
    pub request: Option<&'a str>,
    /// The package name of a bare request, else `None`.
    pub name: Option<&'a str>,
    /// The requester's folder.
    pub from: &'a str,
    /// The resolved file (real path).
    pub file: &'a str,
    /// The path looked up before links were followed.
    pub looked_up: Option<&'a str>,
    /// The folders searched (`None`: `from`).
    pub dirs: Option<&'a [&'a str]>,
}

/// A package the host opened: its table (`None`: loads unchecked, OMEGA_UNPINNED=warn) and the
/// names its verified manifest pins.
#[derive(Clone, Debug, Default)]
struct Opened {
    table: Option<u32>,
    dependencies: BTreeSet<String>,
}

/// An enforcing loader's layout state for one project: the decisions on the layout made once
/// per process (where a folder's files stand, which `node_modules/<name>` a name finds from a
/// folder, whether an entry is its own real path; as Node keeps its own resolution caches), and
/// what the host has opened. Contents are never decided here: every [`Step::Check`] is the
/// host's comparison with the verified table.
#[derive(Clone, Debug)]
pub struct Layout {
    root: String,
    own: String,
    dir_places: BTreeMap<String, DirPlace>,
    /// folder -> (name -> the first `node_modules/<name>` from it up).
    levels: BTreeMap<String, BTreeMap<String, Option<String>>>,
    reals: BTreeMap<String, bool>,
    packages: BTreeMap<String, Opened>,
    pins: BTreeSet<(String, String, String)>,
}

/// Whether `p` is an absolute `/`-separated path with no `.`, `..` or empty component.
pub fn normal_absolute(p: &str) -> bool {
    if !p.starts_with('/') {
        return false;
    }
    if p.len() == 1 {
        return true;
    }
    !p.ends_with('/')
        && !p.contains("//")
        && !p.contains("/./")
        && !p.contains("/../")
        && !p.ends_with("/.")
        && !p.ends_with("/..")
}

/// `p` made absolute (against `/`) and normalized: `.` and empty components dropped, `..`
/// taking one off (none above the root), as `path.resolve` does on POSIX.
pub fn normalize(p: &str) -> String {
    if normal_absolute(p) {
        return p.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(c),
        }
    }
    let mut out = String::new();
    for c in &parts {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Whether `file` lies below `dir` (both normalized absolute paths).
pub fn inside(file: &str, dir: &str) -> bool {
    if dir == "/" {
        return file.len() > 1;
    }
    file.len() > dir.len() + 1
        && file.as_bytes().get(dir.len()) == Some(&b'/')
        && file.starts_with(dir)
}

/// Whether a path has a `node_modules` component.
pub fn in_node_modules(p: &str) -> bool {
    p.contains("node_modules") && p.split('/').any(|c| c == "node_modules")
}

/// The package folder of a file from its real path: the innermost `node_modules/<name>` (or
/// `node_modules/@scope/<name>`) above it, and the file's path in it. `Some((None, name))` for
/// a file lying directly in a `node_modules` folder (in no package); `None` outside every
/// `node_modules`.
pub fn package_of_file(file: &str) -> Option<(Option<PackageDir>, String)> {
    let i = file.rfind(NM)?;
    let base_end = i + NM.len();
    let rest = file.get(base_end..)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let n = if parts.first().is_some_and(|p| p.starts_with('@')) {
        2
    } else {
        1
    };
    if parts.len() <= n {
        return Some((None, parts.join("/")));
    }
    let name = parts.get(..n)?.join("/");
    let rel = parts.get(n..)?.join("/");
    let dir = alloc::format!("{}{}", file.get(..base_end)?, name);
    Some((Some(PackageDir { dir, name }), rel))
}

/// The `package.json` files Node's scope lookup reads above the package folder `dir` (a
/// normalized absolute path) when the package has none of its own: those of the folders
/// between `dir` and the nearest folder above it named `node_modules`, nearest first. For
/// `…/node_modules/@scope/name`, `…/node_modules/@scope/package.json`; none for
/// `…/node_modules/name` (Node stops at a `node_modules` folder) or when no `node_modules`
/// holds `dir` (the folders above are then the project's, not a package writer's).
pub fn package_json_above(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = parent(dir);
    loop {
        if d == "/" {
            return Vec::new();
        }
        if d.rsplit('/').next() == Some("node_modules") {
            return out;
        }
        out.push(join(d, "package.json"));
        d = parent(d);
    }
}

/// `dir`/`name` for a normalized absolute `dir`.
fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        alloc::format!("/{name}")
    } else {
        alloc::format!("{dir}/{name}")
    }
}

/// The parent of a normalized absolute path (`/` for `/`).
fn parent(dir: &str) -> &str {
    match dir.rfind('/') {
        Some(0) | None => "/",
        Some(i) => dir.get(..i).unwrap_or("/"),
    }
}

/// A name whose components are all plain (no `.`, `..` or empty one): `<dir>/node_modules/<name>`
/// is then normalized as it is.
fn plain_name(name: &str) -> bool {
    let mut parts = name.split('/');
    let first = parts.next().unwrap_or("");
    let ok = |c: &str| !c.is_empty() && c != "." && c != "..";
    match (parts.next(), parts.next()) {
        (None, _) => ok(first),
        (Some(second), None) => first.starts_with('@') && ok(first) && ok(second),
        _ => false,
    }
}

/// The `package.json` files Node may read to load the file `rel` of the package at `dir`
/// (table `table`), to decide whether it is CommonJS or an ES module (`type`: the nearest one
/// that exists): the package's own, each folder's between the file and the package's top
/// (nearest last), then those above the top that Node reads when the package has none. The
/// layout's [`Step::Check`] of a package file carries them; `Ω`'s loads ask for them directly.
pub fn file_scopes(table: u32, dir: &str, rel: &str) -> Vec<Scope> {
    let scope = |rel: String, kind| Scope {
        table,
        dir: dir.to_string(),
        rel,
        kind,
    };
    let mut scopes = alloc::vec![scope("package.json".to_string(), ScopeKind::Folder)];
    for (i, b) in rel.bytes().enumerate() {
        if b == b'/' {
            let folder = rel.get(..i).unwrap_or("");
            scopes.push(scope(
                alloc::format!("{folder}/package.json"),
                ScopeKind::Folder,
            ));
        }
    }
    for above in package_json_above(dir) {
        scopes.push(scope(above, ScopeKind::Above));
    }
    scopes
}

impl Layout {
    /// The layout of the project at `root` (the lock file's folder, a real path), with the
    /// loader's own files at `own`.
    pub fn new(root: &str, own: &str) -> Layout {
        Layout {
            root: normalize(root),
            own: normalize(own),
            dir_places: BTreeMap::new(),
            levels: BTreeMap::new(),
            reals: BTreeMap::new(),
            packages: BTreeMap::new(),
            pins: BTreeSet::new(),
        }
    }

    /// [`Layout::new`] for absolute POSIX paths only: a root or own folder that does not start
    /// with `/` (a Windows path such as `C:\\p`, a relative path) is `UNSAFE_PATH`, so that a
    /// loader on such a system refuses to start instead of placing every file outside the
    /// project (threat model N16).
    pub fn try_new(root: &str, own: &str) -> crate::error::Result<Layout> {
        for (what, p) in [("project root", root), ("loader folder", own)] {
            if !p.starts_with('/') {
                return Err(crate::error::Error::new(
                    crate::error::ErrorCode::UnsafePath,
                    alloc::format!("{what} {p:?}: not an absolute POSIX path (the loader supports Linux and other POSIX systems only)"),
                ));
            }
        }
        Ok(Layout::new(root, own))
    }

    /// The project folder.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// Where `file` (a real path) stands; decided once per folder.
    pub fn place(&mut self, file: &str) -> Place {
        let file = normalize(file);
        if file == self.own {
            return Place::Own;
        }
        let slash = file.rfind('/').unwrap_or(0);
        let base = file.get(slash + 1..).unwrap_or("");
        if slash == 0 || base.is_empty() || base == "." || base == ".." || base == "node_modules" {
            return self.place_of(&file);
        }
        let dir = file.get(..slash).unwrap_or("/");
        let d = match self.dir_places.get(dir) {
            Some(d) => d.clone(),
            None => {
                // Where a file of `dir` stands depends on `dir` alone (its name is not
                // node_modules).
                let d = match self.place_of(&self.probe(dir)) {
                    Place::Own => DirPlace::Own,
                    Place::App => DirPlace::App,
                    Place::Outside => DirPlace::Outside,
                    Place::Loose => DirPlace::Loose,
                    Place::Package(pkg, rel) => {
                        let prefix = rel.get(..rel.len().saturating_sub(1)).unwrap_or("");
                        DirPlace::Package(pkg, prefix.to_string())
                    }
                };
                self.dir_places.insert(dir.to_string(), d.clone());
                d
            }
        };
        match d {
            DirPlace::Own => Place::Own,
            DirPlace::App => Place::App,
            DirPlace::Outside => Place::Outside,
            DirPlace::Loose => Place::Loose,
            DirPlace::Package(pkg, prefix) => Place::Package(pkg, alloc::format!("{prefix}{base}")),
        }
    }

    /// A file name in `dir` that stands for any file of it (where a file stands depends on its
    /// folder alone): `_`, or `__` when `dir/_` is the loader's own folder (whose files would
    /// otherwise make every file of `dir` the loader's own; threat model N17).
    fn probe(&self, dir: &str) -> String {
        let p = join(dir, "_");
        if p == self.own {
            join(dir, "__")
        } else {
            p
        }
    }

    fn place_of(&self, file: &str) -> Place {
        if file == self.own || inside(file, &self.own) {
            return Place::Own;
        }
        if !inside(file, &self.root) {
            return Place::Outside;
        }
        let rel = if self.root == "/" {
            file.get(1..)
        } else {
            file.get(self.root.len() + 1..)
        };
        if !in_node_modules(rel.unwrap_or("")) {
            return Place::App;
        }
        match package_of_file(file) {
            Some((Some(pkg), rel)) if inside(&pkg.dir, &self.root) => Place::Package(pkg, rel),
            _ => Place::Loose,
        }
    }

    /// The first `node_modules/<name>` that is a directory (as looked up, not a real path)
    /// from each of `dirs` up, in order (a folder named `node_modules` is not searched in);
    /// `None` when there is none. Remembered for every folder a walk visits.
    pub fn first_entry(
        &mut self,
        host: &mut dyn LayoutHost,
        name: &str,
        dirs: &[&str],
    ) -> Option<String> {
        for d in dirs {
            let d = normalize(d);
            if let Some(e) = self.entry_from(host, name, &d) {
                return Some(e);
            }
        }
        None
    }

    fn entry_from(&mut self, host: &mut dyn LayoutHost, name: &str, dir: &str) -> Option<String> {
        // Up from `dir` to the first folder whose answer is known or that has the entry (no
        // `stat` above it); every folder passed on the way gets the same answer.
        let mut chain: Vec<String> = Vec::new();
        let mut d = dir.to_string();
        let entry = loop {
            if let Some(known) = self.levels.get(&d).and_then(|m| m.get(name)) {
                break known.clone();
            }
            if d.rsplit('/').next().unwrap_or("") != "node_modules" {
                let candidate = if plain_name(name) {
                    join(&join(&d, "node_modules"), name)
                } else {
                    normalize(&alloc::format!("{}/{}", join(&d, "node_modules"), name))
                };
                if host.is_dir(&candidate) {
                    chain.push(d);
                    break Some(candidate);
                }
            }
            let up = parent(&d).to_string();
            let top = up == d;
            chain.push(d);
            if top {
                break None;
            }
            d = up;
        };
        for d in chain {
            self.levels
                .entry(d)
                .or_default()
                .insert(name.to_string(), entry.clone());
        }
        entry
    }

    /// Drops the remembered answers for `name` from each of `dirs` up.
    fn forget_name(&mut self, name: &str, dirs: &[&str]) {
        for d in dirs {
            let mut d = normalize(d);
            loop {
                if let Some(m) = self.levels.get_mut(&d) {
                    m.remove(name);
                }
                let up = parent(&d).to_string();
                if up == d {
                    break;
                }
                d = up;
            }
        }
    }

    /// Whether the package entry `entry` is its own real path (decided once per process).
    pub fn real_entry(&mut self, host: &mut dyn LayoutHost, entry: &str) -> bool {
        if let Some(&r) = self.reals.get(entry) {
            return r;
        }
        let r = host.is_real(entry);
        self.reals.insert(entry.to_string(), r);
        r
    }

    /// The host verified the package at `dir`: `table`, its verified table (`None`: it loads
    /// unchecked, OMEGA_UNPINNED=warn), and the names its signed manifest pins.
    pub fn opened(&mut self, dir: &str, table: Option<u32>, dependencies: &[&str]) {
        self.packages.insert(
            dir.to_string(),
            Opened {
                table,
                dependencies: dependencies.iter().map(|s| s.to_string()).collect(),
            },
        );
    }

    /// The host dropped its verdict on the package at `dir`: it is opened again when asked.
    pub fn forget(&mut self, dir: &str) {
        self.packages.remove(dir);
    }

    /// The host checked the package at `entry` against `requester`'s pin for `name`.
    pub fn pin_checked(&mut self, requester: &str, name: &str, entry: &str) {
        self.pins
            .insert((requester.to_string(), name.to_string(), entry.to_string()));
    }

    fn open_step(&self, pkg: PackageDir) -> Option<Step> {
        if self.packages.contains_key(&pkg.dir) {
            None
        } else {
            Some(Step::Open(pkg))
        }
    }

    /// The next step of a resolution's checks (`stage`): the file's place (omega-verify's own
    /// files pass), a looked-up path under `node_modules` that is not the file (a link), then
    /// for a bare name the package it stands for (the first `node_modules/<name>` from the
    /// searched folders, inside the project: its own real path, verified first, holding the
    /// file, and verified against the requester's signed pin for it), then the file (the app's
    /// own passes; outside the project and loose files are refused; a package file is checked
    /// against its package's table, the package verified first).
    pub fn resolution(
        &mut self,
        host: &mut dyn LayoutHost,
        r: &Resolution<'_>,
        stage: Stage,
    ) -> Step {
        let file = normalize(r.file);
        let place = self.place(&file);
        if place == Place::Own {
            return Step::Pass;
        }
        if matches!(stage, Stage::Full | Stage::Imports) {
            if let Some(looked) = r.looked_up {
                let looked = normalize(looked);
                if looked != file && in_node_modules(&looked) {
                    let package = match package_of_file(&looked) {
                        Some((Some(p), _)) => Some(p.name),
                        _ => None,
                    };
                    return Step::Refuse(Refusal::LinkLookedUp { package });
                }
            }
            if stage == Stage::Imports {
                return Step::Imports;
            }
        }
        if matches!(stage, Stage::Full | Stage::Bare) {
            if let Some(name) = r.name {
                if let Some(step) = self.bare_name(host, name, r, &file) {
                    return step;
                }
            }
            if stage == Stage::Bare {
                return Step::Pass;
            }
        }
        match self.file_step(place) {
            Step::Check {
                table,
                rel,
                mut scopes,
            } => {
                if let Some(step) = self.folder_scope(host, r, &file, &mut scopes) {
                    return step;
                }
                Step::Check { table, rel, scopes }
            }
            other => other,
        }
    }

    /// The folders a request may name (`./lib` from the requester's folder, or from each of the
    /// searched folders when a caller gave them, as `require.resolve(x, {paths})` resolves a
    /// relative request; `/abs/lib`; `pkg/lib` below the package the name finds), but not the
    /// ones `file` is, lies inside (then the folders above the file cover it), or is with an
    /// extension Node tries before the folder. Node may have read such a folder's
    /// `package.json` (`main`) to get to `file`: a trailing `/` sends it there first, and a
    /// `main` can name any file, `lib.min.js` as well as `../x.js`.
    fn folder_requests(
        &mut self,
        host: &mut dyn LayoutHost,
        r: &Resolution<'_>,
        file: &str,
    ) -> Vec<String> {
        let Some(request) = r.request else {
            return Vec::new();
        };
        let targets: Vec<String> = if request == "."
            || request == ".."
            || request.starts_with("./")
            || request.starts_with("../")
        {
            let from = [r.from];
            r.dirs
                .unwrap_or(&from[..])
                .iter()
                .map(|d| normalize(&join(&normalize(d), request)))
                .collect()
        } else if request.starts_with('/') {
            alloc::vec![normalize(request)]
        } else {
            let Some(name) = r.name.filter(|n| request.starts_with(n)) else {
                return Vec::new();
            };
            let Some(sub) = request.get(name.len()..).and_then(|s| s.strip_prefix('/')) else {
                return Vec::new();
            };
            let from = [r.from];
            match self.first_entry(host, name, r.dirs.unwrap_or(&from[..])) {
                Some(entry) => alloc::vec![normalize(&join(&entry, sub))],
                None => return Vec::new(),
            }
        };
        // Node's CommonJS resolver tries the path, then the path with `.js`, `.json` and `.node`,
        // and only then the folder, unless the request ends in `/`, `/.` or `/..` (or is `.` or
        // `..`): a file found as the path with one of those extensions was found before any
        // folder was looked at.
        let folder_first = request == "."
            || request == ".."
            || request.ends_with('/')
            || request.ends_with("/.")
            || request.ends_with("/..");
        let by_extension = |t: &String| {
            !folder_first
                && file
                    .strip_prefix(t.as_str())
                    .is_some_and(|ext| matches!(ext, ".js" | ".json" | ".node"))
        };
        // Only the folders the file was not found through: with `paths`, a folder earlier in the
        // list may have led into a later one.
        let mut targets = targets;
        targets.retain(|t| !(t == file || inside(file, t) || by_extension(t)));
        targets
    }

    /// Adds to `scopes` the `package.json` of each folder a request may name when the file it
    /// resolved to is not in it ([`Layout::folder_requests`]), unless it lies outside every
    /// package. A package's top-level one is compared when the package opens and at each check;
    /// that package is opened if it is not open yet (the step is returned), as is the package
    /// of a folder below its top.
    fn folder_scope(
        &mut self,
        host: &mut dyn LayoutHost,
        r: &Resolution<'_>,
        file: &str,
        scopes: &mut Vec<Scope>,
    ) -> Option<Step> {
        for folder in self.folder_requests(host, r, file) {
            let Place::Package(pkg, rel) = self.place(&join(&folder, "package.json")) else {
                continue;
            };
            let table = match self.packages.get(&pkg.dir) {
                None => return Some(Step::Open(pkg)),
                Some(Opened { table: None, .. }) => continue,
                Some(Opened { table: Some(t), .. }) => *t,
            };
            let scope = Scope {
                table,
                dir: pkg.dir,
                rel,
                kind: ScopeKind::Folder,
            };
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        None
    }

    fn bare_name(
        &mut self,
        host: &mut dyn LayoutHost,
        name: &str,
        r: &Resolution<'_>,
        file: &str,
    ) -> Option<Step> {
        let from = [r.from];
        let dirs = r.dirs.unwrap_or(&from[..]);
        let mut entry = self.first_entry(host, name, dirs);
        if entry.as_deref().is_none_or(|e| !inside(file, e)) {
            // A remembered answer may predate a change of the tree (a probe for a name not
            // installed yet, then a link or another package put there): the rare path walks
            // again before deciding (threat model N18).
            self.forget_name(name, dirs);
            entry = self.first_entry(host, name, dirs);
        }
        let entry = entry?;
        if !inside(&entry, &self.root) {
            return None;
        }
        if !self.real_entry(host, &entry) {
            return Some(Step::Refuse(Refusal::LinkEntry {
                name: name.to_string(),
                entry,
            }));
        }
        // The package the name stands for is verified first: its package.json steered this.
        if let Place::Package(pkg, _) = self.place(&join(&entry, "package.json")) {
            if let Some(step) = self.open_step(pkg) {
                return Some(step);
            }
        }
        if !inside(file, &entry) {
            return Some(Step::Refuse(Refusal::OutsidePackage {
                name: name.to_string(),
                entry,
            }));
        }
        let from_probe = self.probe(&normalize(r.from));
        if let Place::Package(requester, _) = self.place(&from_probe) {
            let pinned = self
                .packages
                .get(&requester.dir)
                .is_some_and(|o| o.dependencies.contains(name));
            if pinned
                && !self
                    .pins
                    .contains(&(requester.dir.clone(), name.to_string(), entry.clone()))
            {
                return Some(Step::DependencyPin {
                    requester,
                    name: name.to_string(),
                    entry,
                });
            }
        }
        None
    }

    fn file_step(&self, place: Place) -> Step {
        match place {
            Place::Own | Place::App => Step::Pass,
            Place::Outside => Step::Refuse(Refusal::Outside),
            Place::Loose => Step::Refuse(Refusal::Loose),
            Place::Package(pkg, rel) => match self.packages.get(&pkg.dir) {
                None => Step::Open(pkg),
                Some(Opened { table: None, .. }) => Step::Pass,
                Some(Opened {
                    table: Some(table), ..
                }) => {
                    let scopes = file_scopes(*table, &pkg.dir, &rel);
                    Step::Check {
                        table: *table,
                        rel,
                        scopes,
                    }
                }
            },
        }
    }

    /// Before Node resolves the bare name `name` from `dirs` (and so before it reads the
    /// package.json the name steers to): the package the name stands for (the first
    /// `node_modules/<name>`, inside the project) must be its own real path and is verified
    /// first.
    pub fn before_resolve(&mut self, host: &mut dyn LayoutHost, name: &str, dirs: &[&str]) -> Step {
        let Some(entry) = self.first_entry(host, name, dirs) else {
            return Step::Pass;
        };
        if !inside(&entry, &self.root) {
            return Step::Pass;
        }
        if !self.real_entry(host, &entry) {
            return Step::Refuse(Refusal::LinkEntry {
                name: name.to_string(),
                entry,
            });
        }
        match self.place(&join(&entry, "package.json")) {
            Place::Package(pkg, _) => self.open_step(pkg).unwrap_or(Step::Pass),
            _ => Step::Pass,
        }
    }

    /// Before `file` (a real path) loads: [`Step::Pass`] for a file that loads as it is,
    /// [`Step::Check`] for the verified bytes to read, else what the host must do first.
    pub fn load(&mut self, file: &str) -> Step {
        let place = self.place(file);
        self.file_step(place)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    struct Disk {
        dirs: Vec<&'static str>,
        links: Vec<&'static str>,
        asked: usize,
    }

    impl LayoutHost for Disk {
        fn is_dir(&mut self, path: &str) -> bool {
            self.asked += 1;
            self.dirs.contains(&path)
        }
        fn is_real(&mut self, path: &str) -> bool {
            !self.links.iter().any(|l| path == *l || inside(path, l))
        }
    }

    fn disk() -> Disk {
        Disk {
            dirs: vec![
                "/p/node_modules/a",
                "/p/node_modules/@s/b",
                "/p/node_modules/a/node_modules/c",
                "/p/node_modules/l",
            ],
            links: vec!["/p/node_modules/l"],
            asked: 0,
        }
    }

    fn pkg(dir: &str, name: &str) -> PackageDir {
        PackageDir {
            dir: dir.to_string(),
            name: name.to_string(),
        }
    }

    #[test]
    fn files_stand_where_their_real_path_says() {
        let mut l = Layout::new("/p", "/opt/omega");
        assert_eq!(l.place("/opt/omega/lib/x.js"), Place::Own);
        assert_eq!(l.place("/opt/omega"), Place::Own);
        assert_eq!(l.place("/p/src/app.js"), Place::App);
        assert_eq!(l.place("/q/x.js"), Place::Outside);
        assert_eq!(l.place("/p"), Place::Outside);
        assert_eq!(l.place("/p/node_modules/x.js"), Place::Loose);
        assert_eq!(l.place("/p/node_modules/@s"), Place::Loose);
        assert_eq!(
            l.place("/p/node_modules/a/lib/i.js"),
            Place::Package(pkg("/p/node_modules/a", "a"), "lib/i.js".into())
        );
        assert_eq!(
            l.place("/p/node_modules/a/lib/j.js"),
            Place::Package(pkg("/p/node_modules/a", "a"), "lib/j.js".into())
        );
        assert_eq!(
            l.place("/p/node_modules/@s/b/i.js"),
            Place::Package(pkg("/p/node_modules/@s/b", "@s/b"), "i.js".into())
        );
        assert_eq!(
            l.place("/p/node_modules/a/node_modules/c/i.js"),
            Place::Package(pkg("/p/node_modules/a/node_modules/c", "c"), "i.js".into())
        );
        assert_eq!(
            l.place("/p/node_modules/a/../a/i.js"),
            Place::Package(pkg("/p/node_modules/a", "a"), "i.js".into())
        );
    }

    #[test]
    fn a_name_finds_the_first_node_modules_entry_up() {
        let mut l = Layout::new("/p", "/opt/omega");
        let mut d = disk();
        let e = l.first_entry(&mut d, "c", &["/p/node_modules/a/lib"]);
        assert_eq!(e.as_deref(), Some("/p/node_modules/a/node_modules/c"));
        let e = l.first_entry(&mut d, "a", &["/p/node_modules/a/lib"]);
        assert_eq!(e.as_deref(), Some("/p/node_modules/a"));
        let asked = d.asked;
        // A sibling folder shares the walk from the common parent.
        let e = l.first_entry(&mut d, "a", &["/p/node_modules/a/src"]);
        assert_eq!(e.as_deref(), Some("/p/node_modules/a"));
        assert_eq!(d.asked, asked + 1);
        assert_eq!(l.first_entry(&mut d, "zz", &["/p/src"]), None);
        assert_eq!(
            l.first_entry(&mut d, "@s/b", &["/p/src"]).as_deref(),
            Some("/p/node_modules/@s/b")
        );
    }

    #[test]
    fn fail_links_and_names_that_leave_their_package() {
        let mut l = Layout::new("/p", "/opt/omega");
        let mut d = disk();
        let r = Resolution {
            request: None,
            name: Some("l"),
            from: "/p/src",
            file: "/p/elsewhere/i.js",
            looked_up: None,
            dirs: None,
        };
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            Step::Refuse(Refusal::LinkEntry {
                name: "l".into(),
                entry: "/p/node_modules/l".into()
            })
        );
        let r = Resolution {
            request: None,
            name: None,
            from: "/p/src",
            file: "/p/node_modules/a/i.js",
            looked_up: Some("/p/node_modules/x/i.js"),
            dirs: None,
        };
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            Step::Refuse(Refusal::LinkLookedUp {
                package: Some("x".into())
            })
        );
        let r = Resolution {
            request: None,
            name: Some("a"),
            from: "/p/src",
            file: "/p/node_modules/@s/b/i.js",
            looked_up: None,
            dirs: None,
        };
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            Step::Open(pkg("/p/node_modules/a", "a"))
        );
        l.opened("/p/node_modules/a", Some(0), &[]);
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            Step::Refuse(Refusal::OutsidePackage {
                name: "a".into(),
                entry: "/p/node_modules/a".into()
            })
        );
    }

    /// The check of the file `rel` of the package at `dir` (table `table`): its own scopes
    /// ([`file_scopes`]) and `extra` ones (a request's folders).
    fn check_in(table: u32, dir: &str, rel: &str, extra: &[(u32, &str, &str)]) -> Step {
        let mut scopes = file_scopes(table, dir, rel);
        scopes.extend(extra.iter().map(|(t, d, r)| Scope {
            table: *t,
            dir: (*d).into(),
            rel: (*r).into(),
            kind: ScopeKind::Folder,
        }));
        Step::Check {
            table,
            rel: rel.into(),
            scopes,
        }
    }

    fn scope(table: u32, dir: &str, rel: &str, kind: ScopeKind) -> Scope {
        Scope {
            table,
            dir: dir.into(),
            rel: rel.into(),
            kind,
        }
    }

    #[test]
    fn every_package_json_node_may_read_for_a_file_is_checked_at_every_load() {
        let mut l = Layout::new("/p", "/opt/omega");
        let a = "/p/node_modules/a";
        l.opened(a, Some(2), &[]);
        let want = Step::Check {
            table: 2,
            rel: "lib/esm/x.js".into(),
            scopes: vec![
                scope(2, a, "package.json", ScopeKind::Folder),
                scope(2, a, "lib/package.json", ScopeKind::Folder),
                scope(2, a, "lib/esm/package.json", ScopeKind::Folder),
            ],
        };
        assert_eq!(l.load("/p/node_modules/a/lib/esm/x.js"), want);
        // Asked for again at the next load: one may have been written since (Node looks again).
        assert_eq!(l.load("/p/node_modules/a/lib/esm/x.js"), want);
        assert_eq!(
            scope(2, a, "lib/package.json", ScopeKind::Folder).path(),
            "/p/node_modules/a/lib/package.json"
        );
        // A file at the package's top: the package's own.
        assert_eq!(
            l.load("/p/node_modules/a/i.js"),
            Step::Check {
                table: 2,
                rel: "i.js".into(),
                scopes: vec![scope(2, a, "package.json", ScopeKind::Folder)],
            }
        );
        // A scoped package: also its scope folder's, read when the package has none.
        let b = "/p/node_modules/@s/b";
        l.opened(b, Some(5), &[]);
        let above = scope(5, b, "/p/node_modules/@s/package.json", ScopeKind::Above);
        assert_eq!(above.path(), "/p/node_modules/@s/package.json");
        assert_eq!(
            l.load("/p/node_modules/@s/b/lib/x.js"),
            Step::Check {
                table: 5,
                rel: "lib/x.js".into(),
                scopes: vec![
                    scope(5, b, "package.json", ScopeKind::Folder),
                    scope(5, b, "lib/package.json", ScopeKind::Folder),
                    above,
                ],
            }
        );
    }

    #[test]
    fn a_folder_request_that_led_outside_its_folder_checks_the_folder_package_json() {
        let mut l = Layout::new("/p", "/opt/omega");
        let mut d = disk();
        let a = "/p/node_modules/a";
        l.opened(a, Some(2), &[]);
        let resolve = |l: &mut Layout, d: &mut Disk, request: &str, from: &str, file: &str| {
            let name = if request.starts_with('.') || request.starts_with('/') {
                None
            } else {
                request.split('/').next()
            };
            let r = Resolution {
                request: Some(request),
                name,
                from,
                file,
                looked_up: None,
                dirs: None,
            };
            l.resolution(d, &r, Stage::Full)
        };
        // The path itself, or a file inside the folder: no folder's package.json beyond the
        // file's own (the folders above it).
        let lib_scope = [(2, a, "lib/package.json")];
        for (request, file, scopes) in [
            ("./lib", "/p/node_modules/a/lib", &[][..]),
            ("./lib.js", "/p/node_modules/a/lib.js", &[]),
            ("./lib/", "/p/node_modules/a/lib/index.js", &[]),
            (".", "/p/node_modules/a/index.js", &[]),
        ] {
            let rel = file.strip_prefix("/p/node_modules/a/").unwrap_or("");
            assert_eq!(
                resolve(&mut l, &mut d, request, a, file),
                check_in(2, a, rel, scopes),
                "{request}"
            );
        }
        // A file beside the folder: Node tries `lib.js`, `lib.json` and `lib.node` before the
        // folder, so those were found without it, unless the request ends in `/`; a `main`
        // may name `../lib.min.js` or `../lib.mjs` as well: the folder's package.json is
        // checked then (absent when unlisted).
        for (request, file, scopes) in [
            ("./lib", "/p/node_modules/a/lib.js", &[][..]),
            ("./lib", "/p/node_modules/a/lib.json", &[]),
            ("./lib", "/p/node_modules/a/lib.node", &[]),
            ("./lib/", "/p/node_modules/a/lib.js", &lib_scope[..]),
            ("./lib/.", "/p/node_modules/a/lib.js", &lib_scope),
            ("./lib", "/p/node_modules/a/lib.min.js", &lib_scope),
            ("./lib", "/p/node_modules/a/lib.mjs", &lib_scope),
        ] {
            let rel = file.strip_prefix("/p/node_modules/a/").unwrap_or("");
            assert_eq!(
                resolve(&mut l, &mut d, request, a, file),
                check_in(2, a, rel, scopes),
                "{request} {file}"
            );
        }
        // lib/package.json's main led to ../x.js: lib/package.json is checked.
        assert_eq!(
            resolve(&mut l, &mut d, "./lib", a, "/p/node_modules/a/x.js"),
            check_in(2, a, "x.js", &[(2, a, "lib/package.json")])
        );
        assert_eq!(
            resolve(
                &mut l,
                &mut d,
                "../lib",
                "/p/node_modules/a/src",
                "/p/node_modules/a/x.js"
            ),
            check_in(2, a, "x.js", &[(2, a, "lib/package.json")])
        );
        assert_eq!(
            resolve(
                &mut l,
                &mut d,
                "/p/node_modules/a/lib",
                "/p/src",
                "/p/node_modules/a/x.js"
            ),
            check_in(2, a, "x.js", &[(2, a, "lib/package.json")])
        );
        // A bare subpath: the folder below the package the name finds.
        assert_eq!(
            resolve(&mut l, &mut d, "a/lib", "/p/src", "/p/node_modules/a/x.js"),
            check_in(2, a, "x.js", &[(2, a, "lib/package.json")])
        );
        // Into another package: that package's folder, opened first.
        let b = "/p/node_modules/@s/b";
        assert_eq!(
            resolve(&mut l, &mut d, "../@s/b/lib", a, "/p/node_modules/a/x.js"),
            Step::Open(pkg(b, "@s/b"))
        );
        l.opened(b, Some(5), &[]);
        assert_eq!(
            resolve(&mut l, &mut d, "../@s/b/lib", a, "/p/node_modules/a/x.js"),
            check_in(2, a, "x.js", &[(5, b, "lib/package.json")])
        );
        // Another package's own folder: its package.json is compared when it opens, so it is
        // opened first; once open, its package.json is checked as the file's own are. The app's own folders:
        // nothing more.
        let c = "/p/node_modules/a/node_modules/c";
        assert_eq!(
            resolve(
                &mut l,
                &mut d,
                "./node_modules/c",
                a,
                "/p/node_modules/a/x.js"
            ),
            Step::Open(pkg(c, "c"))
        );
        l.opened(c, Some(7), &[]);
        assert_eq!(
            resolve(
                &mut l,
                &mut d,
                "./node_modules/c",
                a,
                "/p/node_modules/a/x.js"
            ),
            check_in(2, a, "x.js", &[(7, c, "package.json")])
        );
        assert_eq!(
            resolve(&mut l, &mut d, "../@s/b", a, "/p/node_modules/a/x.js"),
            check_in(2, a, "x.js", &[(5, b, "package.json")])
        );
        assert_eq!(
            resolve(&mut l, &mut d, "./lib", "/p/src", "/p/node_modules/a/x.js"),
            check_in(2, a, "x.js", &[])
        );
        // `require.resolve('./lib', {paths})`: each searched folder is a base.
        let r = Resolution {
            request: Some("./lib"),
            name: None,
            from: "/p/src",
            file: "/p/node_modules/a/x.js",
            looked_up: None,
            dirs: Some(&["/p/src", a]),
        };
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            check_in(2, a, "x.js", &[(2, a, "lib/package.json")])
        );
        // The file found under the second folder of `paths` does not excuse the first's
        // package.json, whose main may have led there (second review of session 10).
        let r = Resolution {
            request: Some("./lib"),
            name: None,
            from: "/p/src",
            file: "/p/node_modules/@s/b/lib/index.js",
            looked_up: None,
            dirs: Some(&[a, b]),
        };
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            check_in(5, b, "lib/index.js", &[(2, a, "lib/package.json")])
        );
        // Asked for again each time (none is kept as checked).
        assert_eq!(
            resolve(&mut l, &mut d, "./lib", a, "/p/node_modules/a/x.js"),
            check_in(2, a, "x.js", &[(2, a, "lib/package.json")])
        );
    }

    #[test]
    fn a_package_file_is_checked_after_its_package_and_pins() {
        let mut l = Layout::new("/p", "/opt/omega");
        let mut d = disk();
        let r = Resolution {
            request: None,
            name: Some("c"),
            from: "/p/node_modules/a/lib",
            file: "/p/node_modules/a/node_modules/c/i.js",
            looked_up: None,
            dirs: None,
        };
        let c = pkg("/p/node_modules/a/node_modules/c", "c");
        assert_eq!(l.resolution(&mut d, &r, Stage::Full), Step::Open(c.clone()));
        l.opened(&c.dir, Some(3), &[]);
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            check_in(3, &c.dir, "i.js", &[])
        );
        l.opened("/p/node_modules/a", Some(1), &["c"]);
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            Step::DependencyPin {
                requester: pkg("/p/node_modules/a", "a"),
                name: "c".into(),
                entry: c.dir.clone()
            }
        );
        l.pin_checked("/p/node_modules/a", "c", &c.dir);
        assert!(matches!(
            l.resolution(&mut d, &r, Stage::Full),
            Step::Check { .. }
        ));
        assert_eq!(
            l.before_resolve(&mut d, "c", &["/p/node_modules/a"]),
            Step::Pass
        );
        l.forget(&c.dir);
        assert_eq!(
            l.before_resolve(&mut d, "c", &["/p/node_modules/a"]),
            Step::Open(c)
        );
        assert_eq!(l.load("/p/src/x.js"), Step::Pass);
        assert_eq!(l.load("/q/x.js"), Step::Refuse(Refusal::Outside));
        assert_eq!(l.load("/p/node_modules/x.js"), Step::Refuse(Refusal::Loose));
        l.opened("/p/node_modules/@s/b", None, &[]);
        assert_eq!(l.load("/p/node_modules/@s/b/i.js"), Step::Pass);
    }

    /// N16: a root or loader folder that is not an absolute POSIX path is refused.
    #[test]
    fn fail_a_layout_of_windows_or_relative_paths() {
        for (root, own) in [("C:\\p", "C:\\o"), ("/p", "C:\\o"), ("p", "/o"), ("", "/o")] {
            match Layout::try_new(root, own) {
                Err(e) => assert_eq!(
                    e.code(),
                    crate::error::ErrorCode::UnsafePath,
                    "{root} {own}"
                ),
                Ok(_) => panic!("{root} {own}: accepted"),
            }
        }
        assert!(Layout::try_new("/p", "/opt/omega").is_ok());
    }

    /// N17: a loader folder named `_` does not make the files beside it its own.
    #[test]
    fn fail_loose_files_beside_a_loader_folder_named_underscore() {
        let mut l = Layout::new("/p", "/p/node_modules/_");
        assert_eq!(l.place("/p/node_modules/x.js"), Place::Loose);
        assert_eq!(l.place("/p/node_modules/_/lib/x.js"), Place::Own);
        assert_eq!(l.load("/p/node_modules/x.js"), Step::Refuse(Refusal::Loose));
    }

    /// N18: a name probed before it was installed (remembered as absent), then installed as a
    /// link or as a package its dependent pins: the resolution walks again and refuses or
    /// checks the pin, as a fresh layout does.
    #[test]
    fn fail_a_name_installed_after_a_probe_is_checked_like_a_fresh_one() {
        let mut l = Layout::new("/p", "/opt/omega");
        let mut d = disk();
        d.dirs.retain(|p| *p != "/p/node_modules/l");
        assert_eq!(l.before_resolve(&mut d, "l", &["/p/src"]), Step::Pass);
        d.dirs.push("/p/node_modules/l");
        l.opened("/p/node_modules/a", Some(0), &[]);
        let r = Resolution {
            request: None,
            name: Some("l"),
            from: "/p/src",
            file: "/p/node_modules/a/index.js",
            looked_up: None,
            dirs: None,
        };
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            Step::Refuse(Refusal::LinkEntry {
                name: "l".into(),
                entry: "/p/node_modules/l".into()
            })
        );
        // A dependency pin: `a` pins `c`, probed from a's folder before c was installed.
        let mut l = Layout::new("/p", "/opt/omega");
        let mut d = disk();
        d.dirs.retain(|p| *p != "/p/node_modules/a/node_modules/c");
        l.opened("/p/node_modules/a", Some(1), &["c"]);
        assert_eq!(
            l.before_resolve(&mut d, "c", &["/p/node_modules/a/lib"]),
            Step::Pass
        );
        d.dirs.push("/p/node_modules/a/node_modules/c");
        let c = pkg("/p/node_modules/a/node_modules/c", "c");
        l.opened(&c.dir, Some(3), &[]);
        let r = Resolution {
            request: None,
            name: Some("c"),
            from: "/p/node_modules/a/lib",
            file: "/p/node_modules/a/node_modules/c/i.js",
            looked_up: None,
            dirs: None,
        };
        assert_eq!(
            l.resolution(&mut d, &r, Stage::Full),
            Step::DependencyPin {
                requester: pkg("/p/node_modules/a", "a"),
                name: "c".into(),
                entry: c.dir.clone()
            }
        );
    }

    #[test]
    fn paths_are_normalized_and_packages_parsed() {
        assert_eq!(normalize("/a/./b//c/../d"), "/a/b/d");
        assert_eq!(normalize("/.."), "/");
        assert!(inside("/a/b", "/a") && !inside("/ab", "/a") && !inside("/a", "/a"));
        assert!(inside("/a", "/"));
        assert_eq!(package_of_file("/p/x.js"), None);
        assert_eq!(
            package_of_file("/p/node_modules/@s"),
            Some((None, "@s".to_string()))
        );
        assert!(
            plain_name("@s/b") && plain_name("a") && !plain_name("a/..") && !plain_name("@s/..")
        );
    }

    #[test]
    fn a_package_without_package_json_reads_its_scope_folder_s() {
        assert_eq!(
            package_json_above("/p/node_modules/@s/np"),
            ["/p/node_modules/@s/package.json"]
        );
        assert_eq!(
            package_json_above("/p/node_modules/a/node_modules/@s/np"),
            ["/p/node_modules/a/node_modules/@s/package.json"]
        );
        assert!(package_json_above("/p/node_modules/np").is_empty());
        assert!(package_json_above("/p/node_modules/a/node_modules/np").is_empty());
        // Not in a node_modules: the folders above are the project's.
        assert!(package_json_above("/p/vendor/np").is_empty());
        assert!(package_json_above("/np").is_empty());
    }
}
