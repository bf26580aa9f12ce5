//! `omega verify` for signify's three signature forms (detached, `--embedded`, `--gzip`): file
//! reading and writing only; every rule is omega-core's (`omega_core::signify`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use omega_core::limits::{MAX_SIGNATURE_FILE_BYTES, MAX_SIGNIFY_MESSAGE_BYTES};
use omega_core::signify::{self, GzipVerifier};
use omega_core::{Error, ErrorCode, PublicKey};

use crate::args::VerifyArgs;
use crate::util::EXIT_OK;
use crate::util::{io_err, random_bytes, read_small, usage, write_atomic, Failure, Overwrite};

/// Payload read size for `--gzip`.
const GZIP_READ_BYTES: usize = 64 * 1024;

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Reads at most `limit` bytes of `path` (the rest, if any, is not read).
fn read_prefix(path: &Path, limit: usize) -> Result<Vec<u8>, Failure> {
    let f = File::open(path).map_err(|e| io_err(path, &e))?;
    let mut out = Vec::new();
    f.take(limit as u64)
        .read_to_end(&mut out)
        .map_err(|e| io_err(path, &e))?;
    Ok(out)
}

/// Handles `omega verify` when the input is a signify signature: `Some(exit status)` when it
/// was one (or `--embedded` / `--gzip` was given), `None` for a minisign signature file.
pub fn verify(a: &VerifyArgs, key: &PublicKey) -> Result<Option<u8>, Failure> {
    if a.output.is_some() && !a.embedded && !a.gzip {
        return usage("-o is only for --embedded and --gzip");
    }
    if a.embedded {
        return verify_embedded(a, key).map(Some);
    }
    if a.gzip {
        return verify_gzip(a, key).map(Some);
    }
    let sig_path = match &a.signature {
        Some(p) => p.clone(),
        None => {
            let minisig = with_suffix(&a.file, ".minisig");
            let sig = with_suffix(&a.file, ".sig");
            if !minisig.exists() && sig.exists() {
                sig
            } else {
                minisig
            }
        }
    };
    let head = read_prefix(&sig_path, MAX_SIGNATURE_FILE_BYTES)?;
    if !signify::is_signify_detached(&head) {
        return Ok(None);
    }
    let what = sig_path.display().to_string();
    let message = read_small(&a.file, MAX_SIGNIFY_MESSAGE_BYTES)?;
    signify::verify_detached(key, &message, &head, &what)?;
    if !a.quiet {
        say!("Signature Verified (signify)");
    }
    Ok(Some(EXIT_OK))
}

fn verify_embedded(a: &VerifyArgs, key: &PublicKey) -> Result<u8, Failure> {
    let what = a.file.display().to_string();
    let text = read_small(&a.file, MAX_SIGNIFY_MESSAGE_BYTES)?;
    let message = signify::verify_embedded(key, &text, &what)?;
    if let Some(out) = &a.output {
        write_atomic(out, message, 0o666, Overwrite::Replace)?;
    }
    if !a.quiet {
        say!("Signature Verified (signify, embedded)");
    }
    Ok(EXIT_OK)
}

/// An output file written under a temporary name and renamed into place by `commit`; removed
/// if dropped before.
struct PendingFile {
    tmp: PathBuf,
    file: Option<File>,
}

impl PendingFile {
    fn create(path: &Path) -> Result<PendingFile, Failure> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let Some(name) = path.file_name() else {
            return usage(format!("{}: not a file name", path.display()));
        };
        let mut rnd = [0u8; 6];
        random_bytes(&mut rnd)?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(
            ".tmp-{}-{}",
            std::process::id(),
            rnd.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ));
        let tmp = dir.join(tmp_name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io_err(&tmp, &e))?;
        Ok(PendingFile {
            tmp,
            file: Some(file),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        match &mut self.file {
            Some(f) => f.write_all(bytes).map_err(|e| io_err(&self.tmp, &e)),
            None => Ok(()),
        }
    }

    fn commit(mut self, path: &Path) -> Result<(), Failure> {
        if let Some(f) = self.file.take() {
            f.sync_all().map_err(|e| io_err(&self.tmp, &e))?;
        }
        fs::rename(&self.tmp, path).map_err(|e| io_err(path, &e))
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn read_some(f: &mut File, path: &Path, buf: &mut [u8]) -> Result<usize, Failure> {
    loop {
        match f.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(path, &e)),
        }
    }
}

fn verify_gzip(a: &VerifyArgs, key: &PublicKey) -> Result<u8, Failure> {
    let path = &a.file;
    let what = path.display().to_string();
    let mut f = File::open(path).map_err(|e| io_err(path, &e))?;
    // The header first: read until core has all of it (or refuses it).
    let mut head = Vec::new();
    let mut buf = vec![0u8; GZIP_READ_BYTES];
    let header = loop {
        if let Some(h) = signify::parse_gzip_header(&head, &what)? {
            break h;
        }
        let n = read_some(&mut f, path, &mut buf)?;
        if n == 0 {
            return Err(Failure::Core(Error::new(
                ErrorCode::Malformed,
                format!("{what}: gzip header truncated"),
            )));
        }
        head.extend_from_slice(&buf[..n]);
    };
    let mut verifier = GzipVerifier::new(key, &header, &what)?;
    let mut out = match &a.output {
        Some(o) => Some(PendingFile::create(o)?),
        None => None,
    };
    if let Some(o) = &mut out {
        o.write(&signify::gzip_output_prefix(&header))?;
    }
    // Payload: what followed the header in the first reads, then the rest of the file. Each
    // block is checked by core as soon as it is complete.
    let mut feed = |data: &[u8], out: &mut Option<PendingFile>| -> Result<(), Failure> {
        verifier.update(data)?;
        if let Some(o) = out {
            o.write(data)?;
        }
        Ok(())
    };
    feed(&head[header.len..], &mut out)?;
    loop {
        let n = read_some(&mut f, path, &mut buf)?;
        if n == 0 {
            break;
        }
        feed(&buf[..n], &mut out)?;
    }
    verifier.finish()?;
    if let (Some(o), Some(path)) = (out, &a.output) {
        o.commit(path)?;
    }
    if !a.quiet {
        say!("Signature Verified (signify, gzip)");
    }
    Ok(EXIT_OK)
}
