//! Plumbing shared by the commands: the failure type and exit codes, reading and atomically
//! writing files, passwords, secret and public keys. No verification rule lives here.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use omega_core::fs::io_error;
use omega_core::limits::MAX_KEY_FILE_BYTES;
use omega_core::secret::{SecretKey, SecretKeyFile};
use omega_core::{Error, ErrorCode, PublicKey};

/// Exit status: everything verified.
pub const EXIT_OK: u8 = 0;
/// Exit status: verification failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: usage error or input that cannot be read.
pub const EXIT_USAGE: u8 = 2;

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// An omega-core error: printed as `omega: CODE: message`, exit status by code.
    Core(Error),
    /// A usage problem (bad argument, file exists, passwords differ …): exit 2.
    Usage(String),
    /// The command already printed its verdict; exit with this status.
    Exit(u8),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Core(e)
    }
}

/// Result of a command: the exit status.
pub type CmdResult = Result<u8, Failure>;

/// The exit status for a core error code: 2 when the input could not be read or parsed, 1 when
/// it was read and refused.
pub fn exit_for(code: ErrorCode) -> u8 {
    code.exit_status()
}

/// Shorthand for a usage failure.
pub fn usage<T>(message: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Usage(message.into()))
}

/// Maps an I/O error on `path` to the core error (`NOT_FOUND` or `IO`).
pub fn io_err(path: &Path, e: &io::Error) -> Failure {
    Failure::Core(io_error(path, e))
}

/// Reads a small file (key, signature) of at most `limit` bytes, following links as any
/// program reading a user's file does. `NOT_FOUND` when absent, `TOO_LARGE` over the limit.
pub fn read_small(path: &Path, limit: usize) -> Result<Vec<u8>, Failure> {
    let f = File::open(path).map_err(|e| io_err(path, &e))?;
    let meta = f.metadata().map_err(|e| io_err(path, &e))?;
    if !meta.is_file() {
        return Err(Failure::Core(Error::new(
            ErrorCode::NotFound,
            format!("{}: not a regular file", path.display()),
        )));
    }
    let mut out = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| io_err(path, &e))?;
    if out.len() > limit {
        return Err(Failure::Core(Error::new(
            ErrorCode::TooLarge,
            format!("{}: larger than {limit} bytes", path.display()),
        )));
    }
    Ok(out)
}

/// Fills `buf` with random bytes from the operating system.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), Failure> {
    getrandom::fill(buf).map_err(|e| {
        Failure::Core(Error::new(
            ErrorCode::Io,
            format!("cannot get random bytes from the operating system: {e}"),
        ))
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether [`write_atomic`] may replace an existing file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    /// Replace an existing file (atomically).
    Replace,
    /// Refuse if the file exists (checked atomically, with a hard link).
    Refuse,
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, created with
/// `mode` (before umask) from the start, flushed to disk, then renamed (or hard-linked, for
/// [`Overwrite::Refuse`]) into place. On any error the temporary file is removed and `path` is
/// untouched.
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    overwrite: Overwrite,
) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name) = path.file_name() else {
        return usage(format!("{}: not a file name", path.display()));
    };
    let mut rnd = [0u8; 6];
    random_bytes(&mut rnd)?;
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}-{}", std::process::id(), hex(&rnd)));
    let tmp = dir.join(tmp_name);

    let result = write_new(&tmp, bytes, mode).and_then(|()| match overwrite {
        Overwrite::Replace => fs::rename(&tmp, path),
        Overwrite::Refuse => match fs::hard_link(&tmp, path) {
            Ok(()) => fs::remove_file(&tmp),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
            // A filesystem without hard links: fall back to check-then-rename.
            Err(_) if !path.exists() => fs::rename(&tmp, path),
            Err(e) => Err(e),
        },
    });
    match result {
        Ok(()) => {
            // Make the rename durable; not all platforms can sync a directory.
            if let Ok(d) = File::open(&dir) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            if e.kind() == io::ErrorKind::AlreadyExists {
                usage(format!(
                    "{} already exists; not overwriting it",
                    path.display()
                ))
            } else {
                Err(io_err(path, &e))
            }
        }
    }
}

fn write_new(tmp: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The directory minisign keeps its secret key in: `$MINISIGN_CONFIG_DIR`, else `~/.minisign`.
pub fn minisign_dir() -> Result<PathBuf, Failure> {
    if let Some(d) = std::env::var_os("MINISIGN_CONFIG_DIR") {
        return Ok(PathBuf::from(d));
    }
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => Ok(PathBuf::from(h).join(".minisign")),
        _ => usage("HOME is not set: give the secret key file with -s"),
    }
}

/// The secret key path: the one given, or minisign's default.
pub fn secret_key_path(given: Option<&Path>) -> Result<PathBuf, Failure> {
    match given {
        Some(p) => Ok(p.to_path_buf()),
        None => Ok(minisign_dir()?.join("minisign.key")),
    }
}

/// The password from `OMEGA_PASSWORD`, if set.
pub fn password_from_env() -> Option<Vec<u8>> {
    let v = std::env::var_os("OMEGA_PASSWORD")?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(v.into_vec())
    }
    #[cfg(not(unix))]
    {
        Some(v.to_string_lossy().into_owned().into_bytes())
    }
}

/// Asks for a password on the terminal, without echo.
pub fn prompt_password(prompt: &str) -> Result<Vec<u8>, Failure> {
    match rpassword::prompt_password(prompt) {
        Ok(p) => Ok(p.into_bytes()),
        Err(e) => usage(format!(
            "cannot read a password from the terminal ({e}): set OMEGA_PASSWORD{}",
            if prompt.contains("protect") {
                ", or use -W for a key without a password"
            } else {
                ""
            }
        )),
    }
}

/// Loads and decrypts a secret key file (the password from `OMEGA_PASSWORD` or the terminal).
/// A wrong password is `MALFORMED` (exit 2), as core reports it.
pub fn load_secret_key(given: Option<&Path>) -> Result<SecretKey, Failure> {
    let path = secret_key_path(given)?;
    let text = read_small(&path, MAX_KEY_FILE_BYTES)?;
    let file = SecretKeyFile::parse(&text).map_err(|e| e.context(&path.display().to_string()))?;
    if !file.is_encrypted() {
        return Ok(file.decrypt(None)?);
    }
    let password = match password_from_env() {
        Some(p) => p,
        None => {
            let p = prompt_password("Password: ")?;
            eput!("Deriving a key from the password and decrypting the secret key... ");
            p
        }
    };
    let key = file
        .decrypt(Some(&password))
        .map_err(|e| e.context(&path.display().to_string()));
    if std::env::var_os("OMEGA_PASSWORD").is_none() {
        esay!("{}", if key.is_ok() { "done" } else { "failed" });
    }
    Ok(key?)
}

/// Parses a public key given on the command line (`RW…`); `what` names the option.
pub fn parse_key_arg(text: &str, what: &str) -> Result<PublicKey, Failure> {
    PublicKey::from_base64(text.trim()).map_err(|e| Failure::Core(e.context(what)))
}

/// Splits `NAME=VALUE`; `what` names the option in the message.
pub fn split_assignment<'a>(text: &'a str, what: &str) -> Result<(&'a str, &'a str), Failure> {
    match text.split_once('=') {
        Some((n, v)) if !n.is_empty() && !v.is_empty() => Ok((n, v)),
        _ => usage(format!("{what} {text:?}: expected NAME=VALUE")),
    }
}

/// The current time in Unix seconds (for trusted comments).
/// Seconds since the epoch for trusted comments: `SOURCE_DATE_EPOCH` when set (reproducible
/// builds: the same tree and key then give the same signature bytes), else the clock.
pub fn unix_now() -> u64 {
    if let Some(t) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
    {
        return t;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
