//! npm-style tarballs (`.tgz`) in memory, no_std: a strict gzip + ustar/pax reader that yields
//! a [`MemoryPackage`] (the leading folder, `package/` in npm tarballs, stripped), and a
//! deterministic writer (sorted entries, fixed mtime/uid/gid/modes, fixed gzip header) so that
//! two machines packing the same tree get the same bytes.
//!
//! Refused: links, devices, FIFOs (`UNSUPPORTED_FILE_TYPE`); absolute paths, `..`, entries
//! outside the leading folder, duplicates (`UNSAFE_PATH`); bad checksums, truncation, trailing
//! data, unknown entry types (`MALFORMED`); more than [`MAX_TARBALL_UNPACKED_BYTES`] unpacked
//! or [`MAX_FILES`] entries — a gzip bomb stops there (`TOO_LARGE`).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::check::{check_package, MemoryPackage, Pins, Report};
use crate::error::{fail, Error, ErrorCode, Result};
use crate::limits::MAX_FILES;

/// Largest unpacked tarball (the tar stream after gzip), in bytes.
pub const MAX_TARBALL_UNPACKED_BYTES: usize = 512 * 1024 * 1024;
/// Largest pax extended header, in bytes.
const MAX_PAX_BYTES: usize = 64 * 1024;
const BLOCK: usize = 512;

fn malformed(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::Malformed, msg)
}

/// Decompresses a single-member gzip stream, checking its CRC-32 and length, refusing
/// trailing data and stopping at `limit` output bytes.
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

fn octal(field: &[u8], what: &str) -> Result<u64> {
    let text: &[u8] = {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        &field[..end]
    };
    let trimmed: &[u8] = {
        let s = text.iter().position(|&b| b != b' ').unwrap_or(text.len());
        let e = text.iter().rposition(|&b| b != b' ').map_or(s, |e| e + 1);
        &text[s..e.max(s)]
    };
    if trimmed.is_empty() {
        return Ok(0);
    }
    let mut v: u64 = 0;
    for &b in trimmed {
        if !(b'0'..=b'7').contains(&b) {
            return Err(malformed(format!("tarball: {what} is not an octal number")));
        }
        v = v
            .checked_mul(8)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(|| malformed(format!("tarball: {what} overflows")))?;
    }
    Ok(v)
}

fn field_str(field: &[u8], what: &str) -> Result<String> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    core::str::from_utf8(&field[..end])
        .map(str::to_string)
        .map_err(|_| {
            Error::new(
                ErrorCode::UnsafePath,
                format!("tarball: {what} is not valid UTF-8"),
            )
        })
}

/// Parses pax extended header records (`"%d %s=%s\n"`), returning `path` and `size` overrides.
fn parse_pax(data: &[u8]) -> Result<(Option<String>, Option<u64>)> {
    let (mut path, mut size) = (None, None);
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| malformed("tarball: bad pax record"))?;
        let len: usize = core::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| malformed("tarball: bad pax record length"))?;
        if len <= sp + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(malformed("tarball: bad pax record"));
        }
        let record = &rest[sp + 1..len - 1];
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| malformed("tarball: bad pax record"))?;
        let (key, value) = (&record[..eq], &record[eq + 1..]);
        match key {
            b"path" => {
                path = Some(
                    core::str::from_utf8(value)
                        .map_err(|_| {
                            Error::new(
                                ErrorCode::UnsafePath,
                                "tarball: pax path is not valid UTF-8",
                            )
                        })?
                        .to_string(),
                )
            }
            b"size" => {
                size = Some(
                    core::str::from_utf8(value)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| malformed("tarball: bad pax size"))?,
                )
            }
            b"linkpath" => {
                return fail(
                    ErrorCode::UnsupportedFileType,
                    "tarball: pax linkpath (a link)",
                )
            }
            _ => {}
        }
        rest = &rest[len..];
    }
    Ok((path, size))
}

/// One file of a tarball: path (leading folder stripped), executable bit, contents.
pub type TarFile = (String, bool, Vec<u8>);

/// Reads an uncompressed tar stream into its regular files, leading folder stripped.
pub fn read_tar(tar: &[u8]) -> Result<Vec<TarFile>> {
    let mut files: Vec<TarFile> = Vec::new();
    let mut pos = 0;
    let mut top: Option<String> = None;
    let mut pax_path: Option<String> = None;
    let mut pax_size: Option<u64> = None;
    let mut ended = false;
    while pos + BLOCK <= tar.len() {
        let h = &tar[pos..pos + BLOCK];
        if h.iter().all(|&b| b == 0) {
            ended = true;
            pos += BLOCK;
            break;
        }
        let sum = octal(&h[148..156], "header checksum")?;
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
        if sum != computed {
            return Err(malformed(format!(
                "tarball: bad header checksum at offset {pos}"
            )));
        }
        if &h[257..262] != b"ustar" {
            return Err(malformed("tarball: not a ustar archive"));
        }
        let typeflag = h[156];
        let mut size = octal(&h[124..136], "entry size")?;
        if let Some(s) = pax_size.take() {
            size = s;
        }
        let size_usize = usize::try_from(size)
            .map_err(|_| Error::new(ErrorCode::TooLarge, "tarball: entry too large"))?;
        let data_start = pos + BLOCK;
        let data_end = data_start
            .checked_add(size_usize)
            .ok_or_else(|| Error::new(ErrorCode::TooLarge, "tarball: entry too large"))?;
        let padded_end = data_end
            .checked_add((BLOCK - size_usize % BLOCK) % BLOCK)
            .ok_or_else(|| Error::new(ErrorCode::TooLarge, "tarball: entry too large"))?;
        if padded_end > tar.len() {
            return Err(malformed("tarball: truncated entry"));
        }
        let data = &tar[data_start..data_end];
        pos = padded_end;
        let name = {
            let prefix = field_str(&h[345..500], "path prefix")?;
            let name = field_str(&h[0..100], "path")?;
            match pax_path.take() {
                Some(p) => p,
                None if prefix.is_empty() => name,
                None => format!("{prefix}/{name}"),
            }
        };
        match typeflag {
            b'x' => {
                if data.len() > MAX_PAX_BYTES {
                    return fail(ErrorCode::TooLarge, "tarball: pax header too large");
                }
                let (p, s) = parse_pax(data)?;
                pax_path = p;
                pax_size = s;
                continue;
            }
            b'g' => continue, // global pax header: comments and defaults, no file
            b'0' | 0 | b'7' | b'5' => {}
            b'1' | b'2' => {
                return fail(
                    ErrorCode::UnsupportedFileType,
                    format!("tarball: {name:?} is a link"),
                )
            }
            b'3' | b'4' | b'6' => {
                return fail(
                    ErrorCode::UnsupportedFileType,
                    format!("tarball: {name:?} is a device or FIFO"),
                )
            }
            other => {
                return Err(malformed(format!(
                    "tarball: {name:?} has unsupported entry type {:?}",
                    other as char
                )))
            }
        }
        if name.starts_with('/') {
            return fail(
                ErrorCode::UnsafePath,
                format!("tarball: {name:?} is an absolute path"),
            );
        }
        let name = name.strip_suffix('/').unwrap_or(&name).to_string();
        let (first, rest) = match name.split_once('/') {
            Some((f, r)) => (f.to_string(), r.to_string()),
            None => (name.clone(), String::new()),
        };
        if first.is_empty() || first == "." || first == ".." {
            return fail(
                ErrorCode::UnsafePath,
                format!("tarball: {name:?} is not inside a leading folder"),
            );
        }
        match &top {
            None => top = Some(first),
            Some(t) if *t == first => {}
            Some(t) => {
                return fail(
                    ErrorCode::UnsafePath,
                    format!("tarball: {name:?} lies outside the leading folder {t:?}"),
                )
            }
        }
        if typeflag == b'5' || rest.is_empty() {
            continue; // directories contribute nothing
        }
        crate::tree::validate_path(&rest).map_err(|e| e.context("tarball"))?;
        if files.len() >= MAX_FILES {
            return fail(
                ErrorCode::TooLarge,
                format!("tarball: more than {MAX_FILES} files"),
            );
        }
        let mode = octal(&h[100..108], "mode")?;
        files.push((rest, mode & 0o100 != 0, data.to_vec()));
    }
    if !ended {
        return Err(malformed("tarball: missing end-of-archive marker"));
    }
    if tar[pos.min(tar.len())..].iter().any(|&b| b != 0) {
        return Err(malformed("tarball: data after the end-of-archive marker"));
    }
    Ok(files)
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
/// fixed date), ustar format (pax `path` records for long paths), gzip with a fixed header
/// (no name, mtime 0, OS 255) at compression level 9.
pub fn write_tgz(files: &[TarFile]) -> Result<Vec<u8>> {
    const MTIME: u64 = 499_162_500;
    let mut sorted: Vec<&TarFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut tar = Vec::new();
    let header = |tar: &mut Vec<u8>, name: &[u8], size: u64, mode: u64, typeflag: u8| {
        let mut h = [0u8; BLOCK];
        h[..name.len()].copy_from_slice(name);
        write_octal(&mut h[100..108], mode);
        write_octal(&mut h[108..116], 0);
        write_octal(&mut h[116..124], 0);
        write_octal(&mut h[124..136], size);
        write_octal(&mut h[136..148], MTIME);
        h[156] = typeflag;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
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
    for (path, exec, data) in sorted {
        crate::tree::validate_path(path)?;
        let full = format!("package/{path}");
        if full.len() > 100 {
            let record_body = format!(" path={full}\n");
            // The length prefix counts itself.
            let mut len = record_body.len() + 1;
            while format!("{len}{record_body}").len() != len {
                len += 1;
            }
            let record = format!("{len}{record_body}");
            header(&mut tar, b"PaxHeader", record.len() as u64, 0o644, b'x');
            tar.extend_from_slice(record.as_bytes());
            pad(&mut tar);
            let short: String = full
                .chars()
                .rev()
                .take(99)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let short_bytes = short.as_bytes();
            let cut = short_bytes.len().min(100);
            header(
                &mut tar,
                &short_bytes[..cut],
                data.len() as u64,
                if *exec { 0o755 } else { 0o644 },
                b'0',
            );
        } else {
            header(
                &mut tar,
                full.as_bytes(),
                data.len() as u64,
                if *exec { 0o755 } else { 0o644 },
                b'0',
            );
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
