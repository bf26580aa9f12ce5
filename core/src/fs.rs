//! Filesystem access (feature `std`), and the only module that touches files: walks a package
//! directory (refusing links, devices, sockets, FIFOs and unsafe names), hashes files by
//! streaming through a reused buffer — in parallel under the `parallel` feature — and reads
//! `.omega/` for package checks.
//!
//! Each file is opened once (`O_NOFOLLOW | O_NONBLOCK`), checked with `fstat` on the open
//! descriptor (no stat-then-open race) — its size against [`MAX_FILE_BYTES`], or against its
//! manifest entry in [`verify_dir`], before any byte is hashed — read and closed.
//! [`check_dir`] reports every problem; [`verify_dir`] gives the verdict alone and stops at the
//! first problem (docs/format.md §7).

extern crate std;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::check::{check_package, MemoryPackage, Pins, Report};
use crate::error::{fail, Error, ErrorCode, Result};
use crate::hash::Blake2b256;
use crate::limits::{MAX_FILES, MAX_FILE_BYTES, MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES};
use crate::manifest::{MANIFEST_PATH, SIGNATURE_PATH};
use crate::tree::{FileEntry, FileKind, RelPath, TreeDigest, TreeListing, METADATA_DIR};

/// Size of the read buffer each hashing thread reuses. 64 KiB stays in the core's L2 cache
/// while BLAKE2b reads it back: with 256 KiB the kernel's copies took three times the system
/// time for the same bytes (1 GiB: 0.14 s against 0.47 s; docs/benchmarks.md).
pub const READ_BUFFER_BYTES: usize = 64 * 1024;

/// Maps an I/O error to `NOT_FOUND` or `IO`, naming the path.
pub fn io_error(path: &Path, e: &io::Error) -> Error {
    let code = if e.kind() == io::ErrorKind::NotFound {
        ErrorCode::NotFound
    } else {
        ErrorCode::Io
    };
    Error::new(code, format!("{}: {e}", path.display()))
}

pub(crate) fn open_nofollow(path: &Path) -> io::Result<File> {
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC);
    }
    opts.open(path)
}

pub(crate) fn kind_of(meta: &fs::Metadata) -> FileKind {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o100 != 0 {
            return FileKind::Executable;
        }
    }
    let _ = meta;
    FileKind::Regular
}

pub(crate) fn type_error(rel: &str, ft: &fs::FileType) -> Error {
    let what = if ft.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file or directory (device, socket or FIFO)"
    };
    Error::new(ErrorCode::UnsupportedFileType, format!("{rel:?} is {what}"))
}

/// What [`measure_file`] found: the file hashed, or only its size and kind because it is larger
/// than the caller's limit (then not one byte of it was hashed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measured {
    /// The file's kind, size and BLAKE2b-256.
    Hashed(FileEntry),
    /// The file is larger than the limit: its size (as `fstat` reported it, or the bytes read
    /// so far if it grew while being read) and kind.
    TooLarge {
        /// Size in bytes.
        size: u64,
        /// Regular or executable.
        kind: FileKind,
    },
}

/// Opens one file (no symbolic link, no special file), measures it with `fstat` on the open
/// descriptor and hashes it through `buf` only when it holds at most `limit` bytes; should it
/// grow while being read, reading stops after `limit + 1` bytes. `rel` names it in errors.
pub fn measure_file(path: &Path, rel: &RelPath, buf: &mut [u8], limit: u64) -> Result<Measured> {
    let f = open_nofollow(path).map_err(|e| {
        if e.raw_os_error() == Some(libc_eloop()) {
            Error::new(
                ErrorCode::UnsupportedFileType,
                format!("{rel:?} is a symbolic link"),
            )
        } else {
            io_error(path, &e)
        }
    })?;
    let meta = f.metadata().map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        return Err(type_error(rel, &meta.file_type()));
    }
    let kind = kind_of(&meta);
    if meta.len() > limit {
        return Ok(Measured::TooLarge {
            size: meta.len(),
            kind,
        });
    }
    let mut h = Blake2b256::new();
    let mut size: u64 = 0;
    let mut f = f;
    let stat_size = meta.len();
    let cap = limit.saturating_add(1);
    while size < cap {
        let want = usize::try_from(cap - size).map_or(buf.len(), |room| room.min(buf.len()));
        let n = match read_some(&mut f, &mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(io_error(path, &e)),
        };
        h.update(&buf[..n]);
        size += n as u64;
        // A short read of a regular file stops at its end: when that end is where `fstat` put
        // it, the read that would return 0 is skipped (one system call per file: most package
        // files fit in one read). A file that grew since `fstat` is still read to its end.
        if n < want && size == stat_size {
            break;
        }
    }
    if size > limit {
        return Ok(Measured::TooLarge { size, kind });
    }
    Ok(Measured::Hashed(FileEntry {
        path: rel.clone(),
        kind,
        size,
        hash: h.finalize(),
    }))
}

/// Reads the open regular file `f`, whose `fstat` size was `stat_size`, to its end but never
/// more than `limit + 1` bytes (so a file over `limit`, or one that grew past it while being
/// read, shows as longer than `limit`). The buffer is sized from `stat_size` at once, so a file
/// that did not change is read by one `read` call, and a short read that ends where `fstat`
/// put the end is taken as the end (as [`measure_file`] does): no call that returns 0.
pub(crate) fn read_bounded(f: &mut File, stat_size: u64, limit: u64) -> io::Result<Vec<u8>> {
    let cap = limit.saturating_add(1);
    let first = usize::try_from(stat_size.saturating_add(1).min(cap))
        .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
    let mut buf = vec![0u8; first];
    let mut size = 0usize;
    loop {
        if size == buf.len() {
            // Full: the file is longer than `fstat` said; grow up to the cap.
            if size as u64 >= cap {
                break;
            }
            let more = usize::try_from((size as u64).saturating_mul(2).clamp(1, cap))
                .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
            buf.resize(more.max(size + 1), 0);
        }
        let want = buf.len() - size;
        let n = read_some(f, &mut buf[size..])?;
        if n == 0 {
            break;
        }
        size += n;
        if n < want && size as u64 == stat_size {
            break;
        }
    }
    buf.truncate(size);
    Ok(buf)
}

/// Hashes one file through `buf`: returns its kind, size and BLAKE2b-256. `rel` names it in
/// errors. A file over [`MAX_FILE_BYTES`] is refused (`TOO_LARGE`) on its `fstat` size, before
/// any byte is read.
pub fn hash_file(path: &Path, rel: &RelPath, buf: &mut [u8]) -> Result<FileEntry> {
    match measure_file(path, rel, buf, MAX_FILE_BYTES)? {
        Measured::Hashed(entry) => Ok(entry),
        Measured::TooLarge { size, .. } => fail(
            ErrorCode::TooLarge,
            format!("{rel:?} is {size} bytes, larger than {MAX_FILE_BYTES}"),
        ),
    }
}

#[cfg(unix)]
pub(crate) fn libc_eloop() -> i32 {
    libc::ELOOP
}
#[cfg(not(unix))]
pub(crate) fn libc_eloop() -> i32 {
    -1
}

/// Lists the regular files below `root` (relative path, absolute path), skipping the top-level
/// `.omega/` folder. Refuses links, special files and names that are not valid UTF-8 or break
/// the path rules.
pub fn walk(root: &Path) -> Result<Vec<(RelPath, PathBuf)>> {
    walk_excluding(root, &[])
}

/// The top-level folder of an installed npm package that holds its nested dependencies. It is
/// an artefact of installation, not part of the package: [`read_installed_package`] leaves it
/// out, and each package inside it is checked as a package of its own.
pub const NESTED_MODULES_DIR: &str = "node_modules";

/// As [`walk`], also skipping the top-level *directories* named in `excluded` (a file or link
/// with such a name is not skipped).
pub fn walk_excluding(root: &Path, excluded: &[&str]) -> Result<Vec<(RelPath, PathBuf)>> {
    let mut out = Vec::new();
    walk_each(root, excluded, |rel, abs| out.push((rel, abs)))?;
    out.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

/// The walk of [`walk_excluding`], giving each regular file to `on_file` as it is found (in
/// directory order, not sorted). The refusals are the same, met in the same order; files given
/// before a refusal are the caller's to discard.
fn walk_each(
    root: &Path,
    excluded: &[&str],
    mut on_file: impl FnMut(RelPath, PathBuf),
) -> Result<()> {
    let meta = fs::metadata(root).map_err(|e| io_error(root, &e))?;
    if !meta.is_dir() {
        return fail(
            ErrorCode::NotFound,
            format!("{}: not a directory", root.display()),
        );
    }
    let mut files = 0usize;
    let mut stack: Vec<(String, PathBuf)> = vec![(String::new(), root.to_path_buf())];
    while let Some((prefix, dir)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(|e| io_error(&dir, &e))?;
        for ent in rd {
            let ent = ent.map_err(|e| io_error(&dir, &e))?;
            let name = ent.file_name();
            let Some(name) = name.to_str() else {
                return fail(
                    ErrorCode::UnsafePath,
                    format!(
                        "{}: a file name below {prefix:?} is not valid UTF-8",
                        root.display()
                    ),
                );
            };
            let rel = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            let ft = ent.file_type().map_err(|e| io_error(&ent.path(), &e))?;
            if ft.is_dir() {
                if prefix.is_empty() && (name == METADATA_DIR || excluded.contains(&name)) {
                    continue;
                }
                stack.push((RelPath::new(rel)?.into_string(), ent.path()));
            } else if ft.is_file() {
                let rel = RelPath::new(rel)?;
                files += 1;
                if files > MAX_FILES {
                    return fail(
                        ErrorCode::TooLarge,
                        format!("{}: more than {MAX_FILES} files", root.display()),
                    );
                }
                on_file(rel, ent.path());
            } else {
                return Err(type_error(&rel, &ft));
            }
        }
    }
    Ok(())
}

/// How files are hashed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hashing {
    /// One file after another on the calling thread.
    Sequential,
    /// Files spread over rayon's thread pool (feature `parallel`; otherwise sequential).
    Parallel,
}

impl Default for Hashing {
    fn default() -> Self {
        if cfg!(feature = "parallel") {
            Hashing::Parallel
        } else {
            Hashing::Sequential
        }
    }
}

/// Hashes every listed file. The first error in path order wins, so results do not depend on
/// thread timing.
pub fn hash_files(files: &[(RelPath, PathBuf)], how: Hashing) -> Result<Vec<FileEntry>> {
    #[cfg(feature = "parallel")]
    if how == Hashing::Parallel {
        use rayon::prelude::*;
        // Collected in order first: rayon's own `Result` collect keeps whichever error a thread
        // met first, which depends on timing.
        let each: Vec<Result<FileEntry>> = files
            .par_iter()
            .map_init(
                || vec![0u8; READ_BUFFER_BYTES],
                |buf, (rel, abs)| hash_file(abs, rel, buf),
            )
            .collect();
        return each.into_iter().collect();
    }
    let _ = how;
    let mut buf = vec![0u8; READ_BUFFER_BYTES];
    files
        .iter()
        .map(|(rel, abs)| hash_file(abs, rel, &mut buf))
        .collect()
}

/// The validated listing of the directory `root`, hashing as `how` says.
///
/// In parallel, hashing starts while the walk goes on: the calling thread walks and hands
/// batches of [`WALK_BATCH`] files to rayon's pool as it finds them, so the directory reads
/// overlap the file reads (on a 1,686-file `node_modules` the walk was a tenth of the system
/// calls, all of them before the first hash). The verdict is the sequential one: a refusal of
/// the walk wins, then the first failing file in path order.
pub fn read_tree_with(root: &Path, how: Hashing) -> Result<TreeListing> {
    #[cfg(feature = "parallel")]
    if how == Hashing::Parallel {
        return read_tree_pipelined(root);
    }
    let files = walk(root)?;
    TreeListing::new(hash_files(&files, how)?)
}

/// Files handed to a pool thread at once by [`read_tree_with`] in parallel: small enough to
/// spread a 1,000-file directory over the threads, large enough that a task (one buffer of
/// [`READ_BUFFER_BYTES`]) costs little next to its files.
#[cfg(feature = "parallel")]
pub const WALK_BATCH: usize = 32;

#[cfg(feature = "parallel")]
fn read_tree_pipelined(root: &Path) -> Result<TreeListing> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    type Hashed = Vec<(RelPath, Result<FileEntry>)>;
    let hashed: Mutex<Hashed> = Mutex::new(Vec::new());
    // Set when the walk refuses the tree: its verdict no longer depends on any file, so the
    // batches still queued (the walk outruns the hashing) read nothing more. Without it a
    // refusal met late in the walk (a link, a bad name, file MAX_FILES + 1) cost a hash of
    // every file found before it, where the sequential walk hashes none.
    let refused = AtomicBool::new(false);
    let walked = rayon::in_place_scope(|scope| {
        let hashed = &hashed;
        let refused = &refused;
        let hand_over = |batch: Vec<(RelPath, PathBuf)>| {
            scope.spawn(move |_| {
                let mut buf = vec![0u8; READ_BUFFER_BYTES];
                let mut done: Hashed = Vec::with_capacity(batch.len());
                for (rel, abs) in batch {
                    if refused.load(Ordering::Relaxed) {
                        return;
                    }
                    let entry = hash_file(&abs, &rel, &mut buf);
                    done.push((rel, entry));
                }
                // A poisoned lock means another batch panicked: that panic reaches the caller
                // when the scope ends, so what this batch adds no longer matters.
                if let Ok(mut all) = hashed.lock() {
                    all.extend(done);
                }
            })
        };
        let mut batch = Vec::with_capacity(WALK_BATCH);
        let walked = walk_each(root, &[], |rel, abs| {
            batch.push((rel, abs));
            if batch.len() == WALK_BATCH {
                hand_over(core::mem::replace(
                    &mut batch,
                    Vec::with_capacity(WALK_BATCH),
                ));
            }
        });
        if walked.is_err() {
            refused.store(true, Ordering::Relaxed);
        } else if !batch.is_empty() {
            hand_over(batch);
        }
        walked
    });
    walked?;
    let mut hashed = hashed
        .into_inner()
        .map_err(|_| Error::new(ErrorCode::Io, "a hashing thread failed".to_string()))?;
    hashed.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    TreeListing::new(
        hashed
            .into_iter()
            .map(|(_, entry)| entry)
            .collect::<Result<Vec<_>>>()?,
    )
}

/// The validated listing of the directory `root` (its `.omega/` excluded).
pub fn read_tree(root: &Path) -> Result<TreeListing> {
    read_tree_with(root, Hashing::default())
}

/// The `b2tree:` digest of the directory `root`.
pub fn digest_dir(root: &Path) -> Result<TreeDigest> {
    Ok(read_tree(root)?.digest())
}

/// Reads a file of at most `limit` bytes without following a final symlink; `None` if absent.
pub fn read_limited(path: &Path, limit: usize) -> Result<Option<Vec<u8>>> {
    let f = match open_nofollow(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc_eloop()) => {
            return fail(
                ErrorCode::UnsupportedFileType,
                format!("{} is a symbolic link", path.display()),
            )
        }
        Err(e) => return Err(io_error(path, &e)),
    };
    let meta = f.metadata().map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        return Err(type_error(&path.display().to_string(), &meta.file_type()));
    }
    let mut f = f;
    let out = read_bounded(&mut f, meta.len(), limit as u64).map_err(|e| io_error(path, &e))?;
    if out.len() > limit {
        return fail(
            ErrorCode::TooLarge,
            format!("{}: larger than {limit} bytes", path.display()),
        );
    }
    Ok(Some(out))
}

/// A package directory as read from disk: the same shape as a package held in memory.
pub type PackageDir = MemoryPackage;

/// Reads a package directory: its files, manifest and signatures.
pub fn read_package(root: &Path) -> Result<PackageDir> {
    read_package_from(root, read_tree(root)?)
}

/// Reads an installed npm package (`node_modules/<name>`) as [`read_package`] does, leaving
/// out its top-level [`NESTED_MODULES_DIR`] (the nested installs of its dependencies, which
/// are packages of their own). Used by `omega lock` and `omega audit`.
pub fn read_installed_package(root: &Path) -> Result<PackageDir> {
    let files = walk_excluding(root, &[NESTED_MODULES_DIR])?;
    let listing = TreeListing::new(hash_files(&files, Hashing::default())?)?;
    read_package_from(root, listing)
}

fn read_package_from(root: &Path, listing: TreeListing) -> Result<PackageDir> {
    let manifest = read_limited(&root.join(MANIFEST_PATH), MAX_MANIFEST_BYTES)?;
    let signatures = read_limited(&root.join(SIGNATURE_PATH), MAX_SIGNATURE_FILE_BYTES)?;
    Ok(PackageDir {
        listing,
        manifest,
        signatures,
    })
}

/// Verifies the detached signature file `signature` (default: `file` + `.minisig`) over
/// `file` with `key`, streaming the file through a reused buffer (a 10 GiB file never sits in
/// memory). Links are followed, as minisign does. Returns the trusted comment. This is
/// `minisign -Vm FILE -P KEY`.
pub fn verify_file(
    file: &Path,
    key: &crate::PublicKey,
    signature: Option<&Path>,
    legacy: crate::LegacyPolicy,
) -> Result<String> {
    use crate::limits::MAX_SIGNATURE_FILE_BYTES;
    use crate::signature::{select_block, SignatureBlock, StreamVerifier};
    let sig_path = match signature {
        Some(p) => p.to_path_buf(),
        None => {
            let mut s = file.as_os_str().to_os_string();
            s.push(".minisig");
            PathBuf::from(s)
        }
    };
    let what = sig_path.display().to_string();
    // A user's own files: links are followed, as minisign does (unlike package contents).
    let sig = File::open(&sig_path).map_err(|e| io_error(&sig_path, &e))?;
    let mut text = Vec::new();
    sig.take(MAX_SIGNATURE_FILE_BYTES as u64 + 1)
        .read_to_end(&mut text)
        .map_err(|e| io_error(&sig_path, &e))?;
    if text.len() > MAX_SIGNATURE_FILE_BYTES {
        return fail(
            ErrorCode::TooLarge,
            format!("{what}: larger than {MAX_SIGNATURE_FILE_BYTES} bytes"),
        );
    }
    let blocks = SignatureBlock::parse_all(&text, &what)?;
    let block = select_block(&blocks, key, legacy).map_err(|e| e.context(&what))?;
    let mut verifier = StreamVerifier::new(key, block, legacy)?;
    let f = File::open(file).map_err(|e| io_error(file, &e))?;
    stream_file(file, f, |chunk| verifier.update(chunk))?;
    verifier
        .finalize()
        .map(String::from)
        .map_err(|e| e.context(&file.display().to_string()))
}

/// Files at least this large are read by a second thread while the caller's thread hashes
/// ([`stream_file`]); smaller ones inline (a thread costs more than their reads).
pub const READ_AHEAD_MIN_BYTES: u64 = 4 * 1024 * 1024;

/// Buffers in flight between the reading thread and the hashing one: one being filled, one
/// being hashed, two queued. Each is [`READ_BUFFER_BYTES`], allocated once and handed back.
const READ_AHEAD_BUFFERS: usize = 4;

/// Feeds every byte of the open file `f` to `sink`, in order (`omega sign` and `omega verify`
/// of files of any size). `path` names the file in errors.
///
/// A file of [`READ_AHEAD_MIN_BYTES`] or more is read by a second thread into a ring of
/// [`READ_AHEAD_BUFFERS`] reused buffers of [`READ_BUFFER_BYTES`] while `sink` runs on the
/// calling thread: the kernel's copies overlap the hashing instead of adding to it. Buffers go
/// back to the reader once hashed, so nothing is allocated per chunk (an earlier try that
/// allocated each 256 KiB chunk paid page faults for every one: docs/benchmarks.md). Smaller
/// files, a file whose size `fstat` cannot tell, and any file when no thread can be made, are
/// read inline through one buffer.
pub fn stream_file(path: &Path, f: File, sink: impl FnMut(&[u8])) -> Result<()> {
    let big = f
        .metadata()
        .map(|m| m.len() >= READ_AHEAD_MIN_BYTES)
        .unwrap_or(false);
    if big {
        stream_read_ahead(path, f, sink)
    } else {
        stream_inline(path, f, sink)
    }
}

fn stream_inline(path: &Path, mut f: File, mut sink: impl FnMut(&[u8])) -> Result<()> {
    let mut buf = vec![0u8; READ_BUFFER_BYTES];
    loop {
        match read_some(&mut f, &mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => sink(&buf[..n]),
            Err(e) => return Err(io_error(path, &e)),
        }
    }
}

/// One `read` into `buf`, again when a signal interrupted it.
fn read_some(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match f.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn stream_read_ahead(path: &Path, f: File, mut sink: impl FnMut(&[u8])) -> Result<()> {
    use std::sync::mpsc::sync_channel;
    // Filled buffers (with their length) go to the hasher; hashed ones come back empty. The
    // reader stops at end of file, at an error (sent as the last message), or when the hasher
    // hangs up; the hasher stops when the reader's sender is dropped.
    let (full_tx, full_rx) = sync_channel::<io::Result<(Vec<u8>, usize)>>(READ_AHEAD_BUFFERS);
    let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(READ_AHEAD_BUFFERS);
    for _ in 0..READ_AHEAD_BUFFERS {
        // Cannot fail: the receiver is alive and the channel holds READ_AHEAD_BUFFERS.
        let _ = empty_tx.send(vec![0u8; READ_BUFFER_BYTES]);
    }
    // `move`: if `sink` panics, unwinding drops the hasher's ends of both channels, so the
    // reader's next send or receive fails and it returns instead of blocking the scope's join.
    // The file goes to the reader once it runs: if no thread can be made (a process or
    // memory limit: `scope.spawn` would panic), it is read inline instead, as a small one is.
    let (file_tx, file_rx) = sync_channel::<File>(1);
    std::thread::scope(move |scope| {
        let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
            let Ok(mut f) = file_rx.recv() else { return };
            while let Ok(mut buf) = empty_rx.recv() {
                match read_some(&mut f, &mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if full_tx.send(Ok((buf, n))).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = full_tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        if spawned.is_err() {
            return stream_inline(path, f, &mut sink);
        }
        if let Err(std::sync::mpsc::SendError(f)) = file_tx.send(f) {
            return stream_inline(path, f, &mut sink);
        }
        while let Ok(message) = full_rx.recv() {
            let (buf, n) = message.map_err(|e| io_error(path, &e))?;
            sink(&buf[..n]);
            // The reader may have stopped (end of file): a buffer it will not take is dropped.
            let _ = empty_tx.send(buf);
        }
        Ok(())
    })
}

/// Checks the package directory `root` against `pins` (DESIGN §3.4). The pins are validated
/// before any file is read.
pub fn check_dir(root: &Path, pins: &Pins) -> Result<Report> {
    pins.validate(&root.display().to_string())?;
    let pkg = read_package(root)?;
    let label = root.display().to_string();
    check_package(pkg.input(&label), pins)
}

/// Checks the package directory `root` against `pins` for a verdict only — what a loader needs
/// before it runs a package — doing as little work as the verdict allows:
///
/// 1. signatures are checked before any file is opened;
/// 2. with a manifest, each file's path and size (`lstat`, no read) are compared with its
///    manifest entry, in path order, before any byte is hashed; the check stops at the first
///    extra, missing or resized file (a sparse terabyte file costs one `lstat`), and hashes
///    only the files before it, each measured again with `fstat` on its open descriptor and
///    read no further than its manifest size;
/// 3. the remaining checks (contents, kinds, digest pin) are those of [`check_dir`].
///
/// `Ok(report)` when the package passes: the report [`check_dir`] returns. Otherwise the error of
/// the first problem in DESIGN §3.4 order — the code and message of the first problem of
/// [`check_dir`]'s report — without a report (use [`check_dir`] where the report of every
/// problem is the product). The verdict (pass or fail) is always [`check_dir`]'s; only where
/// [`check_dir`] would refuse an input it had to read in full (a file over [`MAX_FILE_BYTES`],
/// an unreadable file) may this return the problem it met first instead.
pub fn verify_dir(root: &Path, pins: &Pins) -> Result<Report> {
    use crate::check::{file_problem, first_signature_problem, PackageInput};
    use crate::manifest::Manifest;
    let label = root.display().to_string();
    pins.validate(&label)?;
    let files = walk(root)?;
    let manifest = read_limited(&root.join(MANIFEST_PATH), MAX_MANIFEST_BYTES)?;
    let signatures = read_limited(&root.join(SIGNATURE_PATH), MAX_SIGNATURE_FILE_BYTES)?;
    let empty = TreeListing::new(Vec::new())?;
    let input = |listing| PackageInput {
        label: &label,
        files: listing,
        manifest: manifest.as_deref(),
        signatures: signatures.as_deref(),
    };
    let problem = |p: crate::Problem| Err(Error::new(p.code, p.message));
    if let Some(p) = first_signature_problem(input(&empty), pins)? {
        return problem(p);
    }
    let Some(bytes) = &manifest else {
        // No manifest (a digest pin alone): the digest needs every file.
        let listing = TreeListing::new(hash_files(&files, Hashing::default())?)?;
        return check_package(input(&listing), pins);
    };
    let m = Manifest::parse(bytes).map_err(|e| e.context(&format!("{label}/{MANIFEST_PATH}")))?;
    let package = m.name.as_str();
    let changed = |path: &str| {
        file_problem(
            package,
            ErrorCode::FileChanged,
            path,
            "has changed contents",
        )
    };
    // Pass 1, no byte read: paths and sizes in path order, up to the first certain problem.
    let (mut i, mut j) = (0, 0);
    let mut stop = None;
    let mut matched: Vec<(&FileEntry, &(RelPath, PathBuf))> = Vec::new();
    while stop.is_none() && (i < m.files.len() || j < files.len()) {
        let ord = match (m.files.get(i), files.get(j)) {
            (Some(e), Some(a)) => e.path.as_bytes().cmp(a.0.as_bytes()),
            (Some(_), None) => core::cmp::Ordering::Less,
            _ => core::cmp::Ordering::Greater,
        };
        match ord {
            core::cmp::Ordering::Less => {
                stop = Some(file_problem(
                    package,
                    ErrorCode::FileMissing,
                    &m.files[i].path,
                    "is missing",
                ))
            }
            core::cmp::Ordering::Greater => {
                stop = Some(file_problem(
                    package,
                    ErrorCode::FileExtra,
                    &files[j].0,
                    "is not listed in the manifest",
                ))
            }
            core::cmp::Ordering::Equal => {
                // A hint only (the size that counts is the one fstat gives on the open file).
                let size =
                    fs::symlink_metadata(&files[j].1).map_err(|e| io_error(&files[j].1, &e))?;
                if size.len() != m.files[i].size {
                    stop = Some(changed(&m.files[i].path));
                } else {
                    matched.push((&m.files[i], &files[j]));
                    i += 1;
                    j += 1;
                }
            }
        }
    }
    // Pass 2: hash the files before the stop, each no further than its manifest size.
    let measure = |buf: &mut Vec<u8>, (e, (rel, abs)): &(&FileEntry, &(RelPath, PathBuf))| {
        measure_file(abs, rel, buf, e.size)
    };
    #[cfg(feature = "parallel")]
    let measured: Vec<Result<Measured>> = {
        use rayon::prelude::*;
        matched
            .par_iter()
            .map_init(|| vec![0u8; READ_BUFFER_BYTES], measure)
            .collect()
    };
    #[cfg(not(feature = "parallel"))]
    let measured: Vec<Result<Measured>> = {
        let mut buf = vec![0u8; READ_BUFFER_BYTES];
        matched.iter().map(|x| measure(&mut buf, x)).collect()
    };
    let mut entries = Vec::with_capacity(measured.len());
    for ((expected, _), found) in matched.iter().zip(measured) {
        match found? {
            Measured::Hashed(entry)
                if entry.hash == expected.hash && entry.size == expected.size =>
            {
                if entry.kind != expected.kind {
                    return problem(file_problem(
                        package,
                        ErrorCode::FileChanged,
                        &entry.path,
                        &format!(
                            "changed kind (expected {}, found {})",
                            expected.kind.as_str(),
                            entry.kind.as_str()
                        ),
                    ));
                }
                entries.push(entry);
            }
            _ => return problem(changed(&expected.path)),
        }
    }
    if let Some(p) = stop {
        return problem(p);
    }
    // Every file is the manifest's: what is left (the digest pin) is check_dir's.
    check_package(input(&TreeListing::new(entries)?), pins)
}

#[cfg(test)]
mod read_bounded_tests {
    use super::{fs, read_bounded, File, Vec};

    fn file(len: usize) -> (tempfile::TempDir, File) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, (0..len).map(|i| i as u8).collect::<Vec<u8>>()).unwrap();
        let f = File::open(&p).unwrap();
        (d, f)
    }

    #[test]
    fn reads_to_the_end_within_the_limit_plus_one() {
        // As fstat said: the whole file.
        let (_d, mut f) = file(100);
        assert_eq!(read_bounded(&mut f, 100, 100).unwrap().len(), 100);
        // Over the limit: exactly limit + 1 bytes, whatever fstat said.
        let (_d, mut f) = file(100);
        assert_eq!(read_bounded(&mut f, 100, 10).unwrap().len(), 11);
        // Longer than fstat said (it grew): the buffer grows to the end, or to limit + 1.
        let (_d, mut f) = file(100_000);
        let all = read_bounded(&mut f, 5, u64::MAX - 1).unwrap();
        assert_eq!(all.len(), 100_000);
        assert!(all.iter().enumerate().all(|(i, &b)| b == i as u8));
        let (_d, mut f) = file(100_000);
        assert_eq!(read_bounded(&mut f, 5, 70_000).unwrap().len(), 70_001);
        // Shorter than fstat said (it shrank): what is there.
        let (_d, mut f) = file(10);
        assert_eq!(read_bounded(&mut f, 1000, 1000).unwrap().len(), 10);
        let (_d, mut f) = file(0);
        assert!(read_bounded(&mut f, 0, 0).unwrap().is_empty());
    }
}
