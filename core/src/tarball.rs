//! npm-style tarballs (`.tgz`) in memory, no_std: a strict gzip + ustar/pax reader that yields
//! a [`MemoryPackage`] (the leading folder, `package/` in npm tarballs, stripped), and a
//! deterministic writer (sorted entries, fixed mtime/uid/gid/modes, fixed gzip header) so that
//! two machines packing the same tree get the same bytes.
//!
//! The reader accepts an archive only when GNU tar and npm (node-tar with `strip: 1`, as pacote
//! runs it) would extract exactly the files it returns: anything one of them reads differently
//! — a folder with contents, a global or dangling pax header, a GNU long name, a file path
//! ending in `/`, a name with bytes after its NUL, a second gzip member — is refused, since a
//! tarball that we report as genuine must not install other code (docs/format.md §8 lists
//! every rule). Refused: links, devices, FIFOs (`UNSUPPORTED_FILE_TYPE`); absolute paths, `..`,
//! entries outside the leading folder, duplicates, case collisions (`UNSAFE_PATH`); anything
//! ambiguous, bad checksums, truncation, trailing data (`MALFORMED`); more than
//! [`MAX_TARBALL_UNPACKED_BYTES`] unpacked, a file over [`MAX_FILE_BYTES`] or more than
//! [`MAX_FILES`] entries — a gzip bomb stops there (`TOO_LARGE`).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::check::{check_package, MemoryPackage, Pins, Report};
use crate::error::{fail, Error, ErrorCode, Result};
use crate::limits::{MAX_FILES, MAX_FILE_BYTES, MAX_TARBALL_PATH_DEPTH};
use crate::manifest::{MANIFEST_PATH, SIGNATURE_PATH};
use crate::tree::{is_metadata_path, validate_path, RelPath, METADATA_DIR};

/// Largest unpacked tarball (the tar stream after gzip), in bytes.
pub const MAX_TARBALL_UNPACKED_BYTES: usize = 512 * 1024 * 1024;
/// Largest pax extended header, in bytes.
const MAX_PAX_BYTES: usize = 64 * 1024;
const BLOCK: usize = 512;

fn malformed(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::Malformed, msg)
}

/// Decompresses a single-member gzip stream, checking its CRC-32 and length, refusing
/// trailing data — including a second gzip member, which zlib (and so npm) would read on —
/// and stopping at `limit` output bytes.
pub fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>> {
    if data.len() < 18 || data[0] != 0x1f || data[1] != 0x8b {
        return Err(malformed("tarball: not gzip data"));
    }
    if data[2] != 8 {
        return Err(malformed("tarball: gzip compression method is not deflate"));
    }
    let flags = data[3];
    if flags & 0xe0 != 0 {
        return Err(malformed("tarball: reserved gzip flags set"));
    }
    let mut pos = 10;
    if flags & 0x04 != 0 {
        let xlen = usize::from(u16::from_le_bytes([
            *data
                .get(pos)
                .ok_or_else(|| malformed("tarball: truncated gzip header"))?,
            *data
                .get(pos + 1)
                .ok_or_else(|| malformed("tarball: truncated gzip header"))?,
        ]));
        pos += 2 + xlen;
    }
    for bit in [0x08u8, 0x10] {
        if flags & bit != 0 {
            let end = data
                .get(pos..)
                .and_then(|r| r.iter().position(|&b| b == 0))
                .ok_or_else(|| malformed("tarball: truncated gzip header"))?;
            pos += end + 1;
        }
    }
    if flags & 0x02 != 0 {
        // FHCRC: the low 16 bits of the CRC-32 of the header before it (zlib checks it too).
        let (Some(head), Some(crc16)) = (data.get(..pos), data.get(pos..pos + 2)) else {
            return Err(malformed("tarball: truncated gzip header"));
        };
        let mut h = crc32fast::Hasher::new();
        h.update(head);
        if (h.finalize() & 0xffff) as u16 != u16::from_le_bytes([crc16[0], crc16[1]]) {
            return Err(malformed("tarball: gzip header checksum mismatch"));
        }
        pos += 2;
    }
    let body = data
        .get(pos..)
        .ok_or_else(|| malformed("tarball: truncated gzip header"))?;
    let mut decomp = DecompressorOxide::new();
    let mut out: Vec<u8> = vec![0; body.len().saturating_mul(4).clamp(BLOCK, limit.max(BLOCK))];
    let (mut in_pos, mut out_pos) = (0usize, 0usize);
    loop {
        let (status, consumed, written) = decompress(
            &mut decomp,
            &body[in_pos..],
            &mut out,
            out_pos,
            inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF,
        );
        in_pos += consumed;
        out_pos += written;
        match status {
            TINFLStatus::Done => break,
            TINFLStatus::HasMoreOutput => {
                if out.len() >= limit {
                    return fail(
                        ErrorCode::TooLarge,
                        format!("tarball: unpacks to more than {limit} bytes"),
                    );
                }
                let new_len = out.len().saturating_mul(2).min(limit);
                out.resize(new_len, 0);
            }
            _ => return Err(malformed("tarball: corrupt or truncated deflate data")),
        }
    }
    out.truncate(out_pos);
    let trailer = body
        .get(in_pos..)
        .ok_or_else(|| malformed("tarball: truncated gzip trailer"))?;
    if trailer.len() < 8 {
        return Err(malformed("tarball: truncated gzip trailer"));
    }
    if trailer.len() > 8 {
        return Err(malformed("tarball: data after the gzip stream"));
    }
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let isize = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    let mut h = crc32fast::Hasher::new();
    h.update(&out);
    if h.finalize() != crc || isize != out.len() as u32 {
        return Err(malformed("tarball: gzip checksum or length mismatch"));
    }
    Ok(out)
}

/// Where a header starts in the tar stream, for messages.
#[derive(Clone, Copy)]
struct At(usize);

impl core::fmt::Display for At {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "header at offset {}", self.0)
    }
}

/// Parses a ustar numeric field strictly: optional leading spaces, octal digits, then nothing
/// but spaces and NULs (`terminated`: at least one of them, as the checksum field needs so that
/// readers that scan 12 bytes — node-tar — read the same number). `None` for a field of only
/// spaces and NULs. Base-256 numbers (high bit set) are refused.
fn octal_field(field: &[u8], what: &str, at: At, terminated: bool) -> Result<Option<u64>> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        return Err(malformed(format!(
            "tarball: {at}: {what} is a base-256 number"
        )));
    }
    let start = field.iter().position(|&b| b != b' ').unwrap_or(field.len());
    let end = field[start..]
        .iter()
        .position(|b| !(b'0'..=b'7').contains(b))
        .map_or(field.len(), |e| start + e);
    let bad = || malformed(format!("tarball: {at}: {what} is not a plain octal number"));
    if field[end..].iter().any(|&b| b != b' ' && b != 0) || (terminated && end == field.len()) {
        return Err(bad());
    }
    if start == end {
        return Ok(None);
    }
    let mut v: u64 = 0;
    for &b in &field[start..end] {
        v = v
            .checked_mul(8)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(bad)?;
    }
    Ok(Some(v))
}

/// A ustar text field: bytes up to the first NUL, and nothing but NULs after it (node-tar cuts
/// at the first NUL *on the same line*, so `a\0\nb` would read as `a\nb` there).
fn text_field<'a>(field: &'a [u8], what: &str, at: At) -> Result<&'a [u8]> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    if field[end..].iter().any(|&b| b != 0) {
        return Err(malformed(format!(
            "tarball: {at}: {what} has bytes after its terminating NUL"
        )));
    }
    Ok(&field[..end])
}

/// A path from the ustar name and prefix fields, which must be UTF-8.
fn utf8_path(bytes: Vec<u8>, at: At) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| {
        Error::new(
            ErrorCode::UnsafePath,
            format!("tarball: {at}: name is not valid UTF-8"),
        )
    })
}

/// A decimal number as pax writes it: digits only, no sign, no leading zero.
fn pax_decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || (v.len() > 1 && v[0] == b'0') {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// A pax time: optional `-`, digits, optional `.` and digits.
fn pax_time(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"-").unwrap_or(v);
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(i) => (&v[..i], Some(&v[i + 1..])),
        None => (v, None),
    };
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    digits(int) && frac.is_none_or(digits)
}

/// What a pax extended header (`x`) says about the entry that follows it.
#[derive(Default)]
struct Pax {
    path: Option<String>,
    size: Option<u64>,
}

/// Parses pax extended header records (`"%d %s=%s\n"`) strictly: the whole header is UTF-8,
/// lengths are plain decimals that count the record exactly, values hold no control character
/// (node-tar splits records at `\n`, so a value with a newline would read as two records
/// there), each key appears once, and only these keys are allowed: `path`, `size`, `mtime`,
/// `atime`, `ctime`, `uid`, `gid`, `uname`, `gname`. Anything else (`linkpath`, `mode`, `type`,
/// `charset`, vendor keys) could make another reader see another file, and is refused.
fn parse_pax(data: &[u8], at: At) -> Result<Pax> {
    let bad = |why: &str| malformed(format!("tarball: {at}: pax header: {why}"));
    if core::str::from_utf8(data).is_err() {
        return Err(bad("not valid UTF-8"));
    }
    let mut pax = Pax::default();
    let mut seen: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| bad("record without a length"))?;
        let len = pax_decimal(&rest[..sp])
            .and_then(|l| usize::try_from(l).ok())
            .ok_or_else(|| bad("record length is not a plain decimal"))?;
        if len <= sp + 2 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(bad("record length does not match the record"));
        }
        let record = &rest[sp + 1..len - 1];
        if record.iter().any(|&b| b < 0x20 || b == 0x7f) {
            return Err(bad("record holds a control character"));
        }
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| bad("record without `=`"))?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        if seen.contains(&key) {
            return Err(bad(&format!(
                "key {:?} appears twice",
                String::from_utf8_lossy(key)
            )));
        }
        seen.push(key);
        match key {
            b"path" => {
                pax.path = Some(
                    core::str::from_utf8(value)
                        .map_err(|_| bad("path is not valid UTF-8"))?
                        .to_string(),
                )
            }
            b"size" => pax.size = Some(pax_decimal(value).ok_or_else(|| bad("bad size"))?),
            b"mtime" | b"atime" | b"ctime" => {
                if !pax_time(value) {
                    return Err(bad("bad time"));
                }
            }
            b"uid" | b"gid" => {
                pax_decimal(value).ok_or_else(|| bad("bad uid or gid"))?;
            }
            b"uname" | b"gname" => {}
            b"linkpath" => {
                return fail(
                    ErrorCode::UnsupportedFileType,
                    format!("tarball: {at}: pax linkpath (a link)"),
                )
            }
            other => {
                return Err(bad(&format!(
                    "unsupported key {:?}",
                    String::from_utf8_lossy(other)
                )))
            }
        }
        rest = &rest[len..];
    }
    Ok(pax)
}

/// One file of a tarball: path (leading folder stripped), executable bit, contents.
pub type TarFile = (String, bool, Vec<u8>);

/// Header magic and version of POSIX ustar (and pax): the prefix field holds a path prefix.
const MAGIC_USTAR: &[u8; 8] = b"ustar\x0000";
/// Header magic and version of GNU tar's own format: no prefix field.
const MAGIC_GNU: &[u8; 8] = b"ustar  \x00";

/// Reads an uncompressed tar stream into its regular files, leading folder stripped.
///
/// The reader accepts only archives that GNU tar and npm (node-tar, `strip: 1`) extract to
/// exactly the files it returns; the rules, and why each exists, are in docs/format.md §8.
pub fn read_tar(tar: &[u8]) -> Result<Vec<TarFile>> {
    let mut files: Vec<TarFile> = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    let mut pos = 0;
    let mut top: Option<String> = None;
    let mut pax: Option<(Pax, At)> = None;
    loop {
        let at = At(pos);
        let Some(h) = tar.get(pos..pos + BLOCK) else {
            return Err(malformed("tarball: missing end-of-archive marker"));
        };
        if h.iter().all(|&b| b == 0) {
            // End of archive: two zero blocks, then nothing but zeros.
            let second = tar.get(pos + BLOCK..pos + 2 * BLOCK);
            if !second.is_some_and(|b| b.iter().all(|&b| b == 0)) {
                return Err(malformed(format!(
                    "tarball: {at}: a lone zero block (the end-of-archive marker is two)"
                )));
            }
            if tar[pos + 2 * BLOCK..].iter().any(|&b| b != 0) {
                return Err(malformed("tarball: data after the end-of-archive marker"));
            }
            break;
        }
        let sum = octal_field(&h[148..156], "header checksum", at, true)?;
        let computed: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(b)
                }
            })
            .sum();
        if sum != Some(computed) {
            return Err(malformed(format!("tarball: {at}: bad header checksum")));
        }
        let magic = &h[257..265];
        let posix = magic == MAGIC_USTAR;
        if !posix && magic != MAGIC_GNU {
            return Err(malformed(format!(
                "tarball: {at}: not a ustar, pax or GNU tar header"
            )));
        }
        if !posix && h[345..500].iter().any(|&b| b != 0) {
            return Err(malformed(format!(
                "tarball: {at}: GNU header with times, sparse or continuation data"
            )));
        }
        if h[500..].iter().any(|&b| b != 0) {
            return Err(malformed(format!(
                "tarball: {at}: header padding is not zero"
            )));
        }
        let typeflag = h[156];
        let name = text_field(&h[0..100], "name", at)?;
        let prefix: &[u8] = if posix {
            text_field(&h[345..500], "path prefix", at)?
        } else {
            b""
        };
        let link_name = text_field(&h[157..257], "link name", at)?;
        text_field(&h[265..297], "user name", at)?;
        text_field(&h[297..329], "group name", at)?;
        let mode = octal_field(&h[100..108], "mode", at, false)?;
        octal_field(&h[108..116], "uid", at, false)?;
        octal_field(&h[116..124], "gid", at, false)?;
        let header_size = octal_field(&h[124..136], "size", at, false)?;
        octal_field(&h[136..148], "mtime", at, false)?;
        octal_field(&h[329..337], "device major", at, false)?;
        octal_field(&h[337..345], "device minor", at, false)?;
        let (Some(mode), Some(header_size)) = (mode, header_size) else {
            return Err(malformed(format!(
                "tarball: {at}: entry {:?} has an empty mode or size",
                String::from_utf8_lossy(name)
            )));
        };
        if mode & !0o777 != 0 {
            return Err(malformed(format!(
                "tarball: {at}: entry {:?} has mode {mode:o} (setuid, setgid, sticky or type bits)",
                String::from_utf8_lossy(name)
            )));
        }
        if name.is_empty() {
            return Err(Error::new(
                ErrorCode::UnsafePath,
                format!("tarball: {at}: entry without a name"),
            ));
        }
        let ustar_path: Vec<u8> = if prefix.is_empty() {
            name.to_vec()
        } else {
            [prefix, b"/", name].concat()
        };
        if pax.is_some() && typeflag != b'0' && typeflag != b'5' {
            return Err(malformed(format!(
                "tarball: {at}: a pax header is not followed by the file or folder it describes"
            )));
        }
        let this_pax = pax.take();
        let (path, size) = match &this_pax {
            Some((p, pax_at)) => {
                if p.size.is_some_and(|s| s != header_size) {
                    return Err(malformed(format!(
                        "tarball: {pax_at}: pax size {} differs from the size {header_size} in the header it describes",
                        p.size.unwrap_or_default()
                    )));
                }
                match &p.path {
                    // node-tar drops a pax record whose UTF-8 straddles two reads and falls back
                    // to the ustar fields: a non-ASCII pax path must equal them.
                    Some(path) if !path.is_ascii() && path.as_bytes() != ustar_path => {
                        return Err(malformed(format!(
                            "tarball: {pax_at}: non-ASCII pax path {path:?} differs from the name in the header it describes"
                        )))
                    }
                    Some(path) => (path.clone(), header_size),
                    None => (utf8_path(ustar_path, at)?, header_size),
                }
            }
            // A pax header's own name is never used (GNU tar cuts it anywhere, even inside
            // a UTF-8 sequence).
            None if typeflag == b'x' => (String::new(), header_size),
            None => (utf8_path(ustar_path, at)?, header_size),
        };
        match typeflag {
            b'0' | b'5' | b'x' => {}
            b'1' | b'2' => {
                return fail(
                    ErrorCode::UnsupportedFileType,
                    format!("tarball: {path:?} is a link"),
                )
            }
            b'3' | b'4' | b'6' => {
                return fail(
                    ErrorCode::UnsupportedFileType,
                    format!("tarball: {path:?} is a device or FIFO"),
                )
            }
            b'g' => {
                return Err(malformed(format!(
                    "tarball: {at}: global pax header (it would change every later entry)"
                )))
            }
            b'L' | b'K' => {
                return Err(malformed(format!(
                    "tarball: {at}: GNU long name or long link entry"
                )))
            }
            other => {
                return Err(malformed(format!(
                    "tarball: {at}: entry {path:?} has unsupported type {:?} (only '0' files, '5' folders and 'x' pax headers)",
                    other as char
                )))
            }
        }
        if typeflag == b'x' {
            if size == 0 {
                return Err(malformed(format!("tarball: {at}: empty pax header")));
            }
            if size > MAX_PAX_BYTES as u64 {
                return fail(
                    ErrorCode::TooLarge,
                    format!("tarball: {at}: pax header of {size} bytes, more than {MAX_PAX_BYTES}"),
                );
            }
        } else if size > MAX_FILE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("tarball: {path:?} is {size} bytes, larger than {MAX_FILE_BYTES}"),
            );
        }
        if !link_name.is_empty() {
            // node-tar skips such a header ("linkpath forbidden") and reads its contents as
            // entries.
            return Err(malformed(format!(
                "tarball: {at}: entry {path:?} has a link name but is not a link"
            )));
        }
        let size_usize = usize::try_from(size).unwrap_or(usize::MAX);
        let data_start = pos + BLOCK;
        let padded = size_usize.div_ceil(BLOCK).saturating_mul(BLOCK);
        let data_end = data_start.saturating_add(size_usize);
        let padded_end = data_start.saturating_add(padded);
        if padded_end > tar.len() {
            return Err(malformed(format!("tarball: {path:?} is truncated")));
        }
        let data = &tar[data_start..data_end];
        pos = padded_end;
        if typeflag == b'x' {
            pax = Some((parse_pax(data, at)?, at));
            continue;
        }
        let is_dir = typeflag == b'5';
        if is_dir && size != 0 {
            return Err(malformed(format!(
                "tarball: folder {path:?} has {size} bytes of contents (other readers take them for entries)"
            )));
        }
        let trimmed = if is_dir {
            path.strip_suffix('/').unwrap_or(&path)
        } else if path.ends_with('/') {
            return Err(malformed(format!(
                "tarball: file {path:?} ends with `/` (other readers take it for a folder)"
            )));
        } else {
            path.as_str()
        };
        if trimmed.starts_with('/') {
            return fail(
                ErrorCode::UnsafePath,
                format!("tarball: {path:?} is an absolute path"),
            );
        }
        let trimmed = RelPath::new(trimmed).map_err(|e| e.context("tarball"))?;
        let trimmed = trimmed.as_str();
        let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
        match &top {
            None => top = Some(first.to_string()),
            Some(t) if t == first => {}
            Some(t) => {
                return fail(
                    ErrorCode::UnsafePath,
                    format!("tarball: {path:?} lies outside the leading folder {t:?}"),
                )
            }
        }
        if rest.is_empty() {
            if is_dir {
                continue; // the leading folder itself
            }
            return fail(
                ErrorCode::UnsafePath,
                format!("tarball: file {path:?} is not inside a leading folder"),
            );
        }
        check_npm_path(rest, is_dir, &path)?;
        if is_dir {
            if dirs.len() >= MAX_FILES {
                return fail(
                    ErrorCode::TooLarge,
                    format!("tarball: more than {MAX_FILES} folders"),
                );
            }
            dirs.push(rest.to_string());
            continue;
        }
        if files.len() >= MAX_FILES {
            return fail(
                ErrorCode::TooLarge,
                format!("tarball: more than {MAX_FILES} files"),
            );
        }
        files.push((rest.to_string(), mode & 0o100 != 0, data.to_vec()));
    }
    if pax.is_some() {
        return Err(malformed(
            "tarball: a pax header is not followed by the file or folder it describes",
        ));
    }
    check_layout(&files, &dirs)?;
    Ok(files)
}

/// Path rules that come from how npm installs a tarball rather than from DESIGN §3.2. `rest` is
/// the path with the leading folder stripped.
fn check_npm_path(rest: &str, is_dir: bool, path: &str) -> Result<()> {
    let unsafe_path = |why: &str| fail(ErrorCode::UnsafePath, format!("tarball: {path:?} {why}"));
    let first = rest.split('/').next().unwrap_or(rest);
    let b = first.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        // node-tar strips a Windows drive root ("c:") from every path, on every platform.
        return unsafe_path("starts with a drive letter, which npm strips");
    }
    if rest
        .split('/')
        .any(|c| c.ends_with('.') || c.ends_with(' '))
    {
        // Windows drops a trailing dot or space: `index.js.` would overwrite `index.js` there.
        return unsafe_path("has a name ending in a dot or space, which Windows drops");
    }
    if rest.split('/').count() > MAX_TARBALL_PATH_DEPTH {
        return unsafe_path(&format!(
            "is deeper than {MAX_TARBALL_PATH_DEPTH} folders (npm skips it)"
        ));
    }
    if rest == METADATA_DIR || is_metadata_path(rest) {
        let allowed = if is_dir {
            rest == METADATA_DIR
        } else {
            rest == MANIFEST_PATH || rest == SIGNATURE_PATH
        };
        if !allowed {
            return unsafe_path(&format!(
                "is in {METADATA_DIR}/, which may hold only manifest.json and manifest.json.minisig"
            ));
        }
    }
    if !is_dir && rest.rsplit('/').next() == Some(".gitignore") {
        return unsafe_path("is a .gitignore file, which npm installs as .npmignore");
    }
    Ok(())
}

/// Refuses a layout that no filesystem holds, or that a case-insensitive one folds: a path
/// listed twice, a file that is also a folder (`a` and `a/b`), and two paths that differ only
/// in letter case (Unicode lower case), in the file name or in any folder above it.
fn check_layout(files: &[TarFile], dirs: &[String]) -> Result<()> {
    // Unicode lower case (stricter than the ASCII rule of DESIGN §3.2: macOS and Windows fold
    // `Ä` and `ä` to one name too), exactly `str::to_lowercase` from fold.rs's smaller tables.
    let all: Vec<(String, &str, bool)> = files
        .iter()
        .map(|f| (crate::fold::to_lowercase(&f.0), f.0.as_str(), false))
        .chain(
            dirs.iter()
                .map(|d| (crate::fold::to_lowercase(d), d.as_str(), true)),
        )
        .collect();
    let keys: Vec<&[u8]> = all.iter().map(|a| a.0.as_bytes()).collect();
    let order = crate::order::sorted_order(&keys);
    let all = crate::order::permute(all, &order);
    let unsafe_path = |msg: String| fail(ErrorCode::UnsafePath, format!("tarball: {msg}"));
    for pair in all.windows(2) {
        let [(la, a, a_dir), (lb, b, b_dir)] = pair else {
            continue;
        };
        if la == lb {
            return unsafe_path(if a == b && *a_dir == *b_dir {
                format!("{a:?} is listed twice")
            } else if a == b {
                format!("{a:?} is both a file and a folder")
            } else {
                format!("{a:?} and {b:?} differ only in letter case")
            });
        }
        // The leading components the two paths share (in lower case) — folders of both, or
        // one path's own name when it is a folder of the other — must be spelled the same.
        // Lower-casing never makes or removes a `/`, so components line up.
        let shared = la
            .split('/')
            .zip(lb.split('/'))
            .take_while(|(x, y)| x == y)
            .count();
        if a.split('/').take(shared).ne(b.split('/').take(shared)) {
            return unsafe_path(format!(
                "{a:?} and {b:?} lie in folders that differ only in letter case"
            ));
        }
    }
    for (lower, path, is_dir) in &all {
        if *is_dir {
            continue;
        }
        let below = format!("{lower}/");
        let i = all.partition_point(|e| e.0.as_bytes() < below.as_bytes());
        if let Some(other) = all.get(i).filter(|e| e.0.starts_with(&below)) {
            return unsafe_path(format!(
                "{path:?} is a file, and {:?} lies below it",
                other.1
            ));
        }
    }
    Ok(())
}

/// Reads an npm-style `.tgz` into a package (the leading folder stripped; `.omega/` inside it
/// becomes the package metadata).
pub fn read_tgz(tgz: &[u8]) -> Result<MemoryPackage> {
    let tar = gunzip(tgz, MAX_TARBALL_UNPACKED_BYTES)?;
    let files = read_tar(&tar)?;
    MemoryPackage::from_files(files.iter().map(|(p, x, d)| (p.as_str(), *x, d.as_slice())))
}

/// Checks an npm-style `.tgz` against `pins`, as [`check_package`] checks a directory.
pub fn check_tarball(tgz: &[u8], label: &str, pins: &Pins) -> Result<Report> {
    let pkg = read_tgz(tgz)?;
    check_package(pkg.input(label), pins)
}

/// Splits `path` into a ustar prefix (at most 155 bytes) and name (at most 100 bytes) at a `/`,
/// or returns `None` when it does not fit.
fn ustar_split(path: &str) -> Option<(&str, &str)> {
    if path.len() <= 100 {
        return Some(("", path));
    }
    path.match_indices('/')
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .find(|(prefix, name)| prefix.len() <= 155 && !name.is_empty() && name.len() <= 100)
}

fn write_octal(field: &mut [u8], value: u64) {
    // Zero-padded octal, NUL-terminated, filling the field.
    let width = field.len() - 1;
    let mut v = value;
    for i in (0..width).rev() {
        field[i] = b'0' + (v & 7) as u8;
        v >>= 3;
    }
    field[width] = 0;
}

/// Writes a deterministic npm-style `.tgz`: entries under `package/`, sorted by path as bytes,
/// mode 0644 or 0755, uid/gid 0, empty user/group names, mtime 1985-10-26T08:15:00Z (npm's
/// fixed date), ustar format (a prefix for long paths, pax `path` records for ASCII paths
/// longer than the 255 bytes ustar holds; longer non-ASCII paths are refused), gzip with a fixed header
/// (no name, mtime 0, OS 255) at compression level 9.
pub fn write_tgz(files: &[TarFile]) -> Result<Vec<u8>> {
    const MTIME: u64 = 499_162_500;
    let mut sorted: Vec<&TarFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut tar = Vec::new();
    let header =
        |tar: &mut Vec<u8>, name: &str, prefix: &str, size: u64, mode: u64, typeflag: u8| {
            let mut h = [0u8; BLOCK];
            h[..name.len()].copy_from_slice(name.as_bytes());
            write_octal(&mut h[100..108], mode);
            write_octal(&mut h[108..116], 0);
            write_octal(&mut h[116..124], 0);
            write_octal(&mut h[124..136], size);
            write_octal(&mut h[136..148], MTIME);
            h[156] = typeflag;
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
            h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
            h[148..156].copy_from_slice(b"        ");
            let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
            write_octal(&mut h[148..155], sum);
            h[155] = b' ';
            tar.extend_from_slice(&h);
        };
    let pad = |tar: &mut Vec<u8>| {
        let rem = tar.len() % BLOCK;
        if rem != 0 {
            tar.resize(tar.len() + BLOCK - rem, 0);
        }
    };
    for (path, _, _) in &sorted {
        validate_path(path)?;
        check_npm_path(path, false, path)?;
    }
    check_layout(files, &[])?;
    for (path, exec, data) in sorted {
        let size = data.len() as u64;
        if size > MAX_FILE_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("{path:?} is {size} bytes, larger than {MAX_FILE_BYTES}"),
            );
        }
        let mode = if *exec { 0o755 } else { 0o644 };
        let full = format!("package/{path}");
        match ustar_split(&full) {
            Some((prefix, name)) => header(&mut tar, name, prefix, size, mode, b'0'),
            None if full.is_ascii() => {
                let record_body = format!(" path={full}\n");
                // The length prefix counts itself.
                let mut len = record_body.len() + 1;
                while format!("{len}{record_body}").len() != len {
                    len += 1;
                }
                let record = format!("{len}{record_body}");
                header(&mut tar, "PaxHeader", "", record.len() as u64, 0o644, b'x');
                tar.extend_from_slice(record.as_bytes());
                pad(&mut tar);
                // The ASCII path cut to the name field: never read (the pax path wins).
                header(&mut tar, &full[..99], "", size, mode, b'0');
            }
            None => {
                return fail(
                    ErrorCode::UnsafePath,
                    format!(
                        "path {path:?}: not ASCII and too long for a ustar header (npm could read \
                         it under another name)"
                    ),
                )
            }
        }
        tar.extend_from_slice(data);
        pad(&mut tar);
    }
    tar.resize(tar.len() + 2 * BLOCK, 0);
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255];
    out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(&tar, 9));
    let mut h = crc32fast::Hasher::new();
    h.update(&tar);
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.extend_from_slice(&(tar.len() as u32).to_le_bytes());
    Ok(out)
}
