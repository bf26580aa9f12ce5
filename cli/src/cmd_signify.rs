//! `omega verify` and `omega sign` for signify's three signature forms (detached, `--embedded`,
//! `--gzip`): file reading and writing only; every rule is omega-core's (`omega_core::signify`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use omega_core::limits::{MAX_KEY_FILE_BYTES, MAX_SIGNATURE_FILE_BYTES, MAX_SIGNIFY_MESSAGE_BYTES};
use omega_core::secret::SecretKey;
use omega_core::signify::{self, GzipHasher, GzipVerifier, SignifySecretKeyFile};
use omega_core::{Error, ErrorCode, PublicKey};

use crate::args::{SignArgs, VerifyArgs};
use crate::util::{
    io_err, load_secret_key, password_from_env, prompt_password, random_bytes, read_small,
    secret_key_path, unix_now, usage, write_atomic, CmdResult, Failure, Overwrite, EXIT_OK,
};

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

/// Reads the start of `f` until core has the whole gzip header (or refuses it): the header and
/// every byte read so far (the payload starts at `header.len`). Each read asks for as much as
/// has been read already, so a long header is parsed O(log n) times, not once per 64 KiB.
fn read_gzip_header(
    f: &mut File,
    path: &Path,
    what: &str,
) -> Result<(signify::GzipHeader, Vec<u8>), Failure> {
    let mut head = Vec::new();
    loop {
        if let Some(h) = signify::parse_gzip_header(&head, what)? {
            return Ok((h, head));
        }
        let want = head.len().max(GZIP_READ_BYTES) as u64;
        let before = head.len();
        Read::by_ref(f)
            .take(want)
            .read_to_end(&mut head)
            .map_err(|e| io_err(path, &e))?;
        if head.len() == before {
            return Err(Failure::Core(Error::new(
                ErrorCode::Malformed,
                format!("{what}: gzip header truncated"),
            )));
        }
    }
}

fn verify_gzip(a: &VerifyArgs, key: &PublicKey) -> Result<u8, Failure> {
    let path = &a.file;
    let what = path.display().to_string();
    let mut f = File::open(path).map_err(|e| io_err(path, &e))?;
    let (header, head) = read_gzip_header(&mut f, path, &what)?;
    let mut buf = vec![0u8; GZIP_READ_BYTES];
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

/// Loads the signing key: a signify secret key (`signify -G`, passphrase from OMEGA_PASSWORD
/// or the terminal when it is encrypted) or an omega/minisign one.
fn load_any_secret_key(given: Option<&Path>) -> Result<(SecretKey, PathBuf), Failure> {
    let path = secret_key_path(given)?;
    let text = read_small(&path, MAX_KEY_FILE_BYTES)?;
    if !SignifySecretKeyFile::is_signify(&text) {
        return Ok((load_secret_key(Some(&path))?, path));
    }
    let what = path.display().to_string();
    let file = SignifySecretKeyFile::parse(&text).map_err(|e| e.context(&what))?;
    let pass = if file.is_encrypted() {
        Some(match password_from_env() {
            Some(p) => p,
            None => prompt_password("passphrase: ")?,
        })
    } else {
        None
    };
    let key = file
        .decrypt(pass.as_deref())
        .map_err(|e| e.context(&what))?;
    Ok((key, path))
}

/// signify's untrusted comment: `verify with NAME.pub`, NAME the secret key file's name
/// without `.sec` (or `.key`).
fn verify_with_comment(sec: &Path) -> String {
    let name = sec
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".sec")
        .or_else(|| name.strip_suffix(".key"))
        .unwrap_or(&name);
    format!("verify with {stem}.pub")
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    matches!(
        (fs::canonicalize(a), fs::canonicalize(b)),
        (Ok(x), Ok(y)) if x == y
    )
}

/// UTC `YYYY-MM-DDTHH:MM:SSZ` of `secs` since the epoch (signify's `date=` line).
fn utc_date(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// `omega sign --signify | --embedded | --gzip`.
pub fn sign(a: &SignArgs) -> CmdResult {
    if a.files.len() > 1 && (a.signature.is_some() || a.gzip) {
        return usage("-x names one output file: give a single FILE with -x");
    }
    let outputs: Vec<PathBuf> = a
        .files
        .iter()
        .map(|f| {
            a.signature
                .clone()
                .unwrap_or_else(|| with_suffix(f, ".sig"))
        })
        .collect();
    for (out, file) in outputs.iter().zip(&a.files) {
        if a.files.iter().any(|i| same_file(out, i)) {
            return usage(format!(
                "the output file {} for {} is an input file: it would be overwritten; write it elsewhere",
                out.display(),
                file.display()
            ));
        }
    }
    let (sk, sec_path) = load_any_secret_key(a.secret_key.as_deref())?;
    let comment = verify_with_comment(&sec_path);
    for (file, out) in a.files.iter().zip(&outputs) {
        let what = file.display().to_string();
        if a.gzip {
            sign_gzip(&sk, file, out, comment.as_bytes(), &sec_path)?;
            continue;
        }
        let message = read_small(file, MAX_SIGNIFY_MESSAGE_BYTES)?;
        let sig = signify::sign(&sk, &message, comment.as_bytes()).map_err(|e| e.context(&what))?;
        let bytes = if a.embedded {
            signify::embed(&sig, &message)
        } else {
            sig.to_text()
        };
        write_atomic(out, &bytes, 0o644, Overwrite::Replace)?;
    }
    Ok(EXIT_OK)
}

fn sign_gzip(
    sk: &SecretKey,
    file: &Path,
    out: &Path,
    comment: &[u8],
    sec_path: &Path,
) -> Result<(), Failure> {
    let what = file.display().to_string();
    let mut f = File::open(file).map_err(|e| io_err(file, &e))?;
    let (header, head) = read_gzip_header(&mut f, file, &what)?;
    let mut buf = vec![0u8; GZIP_READ_BYTES];
    // First pass: the block hashes.
    let mut hasher = GzipHasher::new();
    hasher.update(&head[header.len..]);
    loop {
        let n = read_some(&mut f, file, &mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let hashes = hasher.finish();
    let signed_header = signify::sign_gzip_header(
        sk,
        header.xfl,
        comment,
        &utc_date(unix_now()),
        &sec_path.display().to_string(),
        &hashes,
    )
    .map_err(|e| e.context(&what))?;
    // Second pass: copy the payload, hashing it again: a file that changed in between is
    // refused (nothing is written).
    let mut f = File::open(file).map_err(|e| io_err(file, &e))?;
    let mut pending = PendingFile::create(out)?;
    pending.write(&signed_header)?;
    let mut skip = header.len;
    let mut again = GzipHasher::new();
    loop {
        let n = read_some(&mut f, file, &mut buf)?;
        if n == 0 {
            break;
        }
        let from = skip.min(n);
        skip -= from;
        again.update(&buf[from..n]);
        pending.write(&buf[from..n])?;
    }
    if skip != 0 || again.finish() != hashes {
        return Err(Failure::Core(Error::new(
            ErrorCode::Io,
            format!("{what}: the file changed while it was being signed"),
        )));
    }
    pending.commit(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_as_signify_writes_them() {
        assert_eq!(utc_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_date(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_date(1_798_569_317), "2026-12-29T18:35:17Z");
        assert_eq!(utc_date(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn verify_with_comment_names_the_public_key() {
        assert_eq!(
            verify_with_comment(Path::new("/etc/signify/openbsd-79-base.sec")),
            "verify with openbsd-79-base.pub"
        );
        assert_eq!(verify_with_comment(Path::new("k.key")), "verify with k.pub");
        assert_eq!(
            verify_with_comment(Path::new("plain")),
            "verify with plain.pub"
        );
    }
}
