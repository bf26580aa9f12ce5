//! The registry's own keys: the log key (signs checkpoints; its note name is the origin) and
//! the index key (signs index notes; its note name is `<origin>/index`), kept as minisign
//! secret key files in `DIR/.keys/log.key` and `DIR/.keys/index.key` (folder 0700, files
//! 0600). Unencrypted by default, so a scheduled `omega publish` or `omega registry refresh`
//! runs unattended; `omega registry init --encrypt` encrypts them (minisign's scrypt) with
//! the password from `OMEGA_REGISTRY_PASSWORD` or the terminal, and every writer then asks
//! for it the same way. `DIR/.keys/` must never be served: nothing omega fetches can name a
//! dot file, but a web server serving DIR as it is would (docs/registry.md shows the nginx
//! rule; better, keep the keys elsewhere and sync only the public files).

use std::fs::DirBuilder;
use std::path::{Path, PathBuf};

use omega_core::limits::MAX_KEY_FILE_BYTES;
use omega_core::note::signer_vkey;
use omega_core::secret::{
    KeyProtection, SecretKey, SecretKeyFile, DEFAULT_MEMLIMIT, DEFAULT_OPSLIMIT,
};
use omega_core::vkey::Vkey;
use omega_core::{ErrorCode, KeyId};

use crate::util::{
    io_err, prompt_password, random_bytes, read_small, usage, write_atomic, Failure, Overwrite,
};

use super::err;

/// The folder of the registry's secret keys, below DIR.
pub const KEYS_DIR: &str = ".keys";
/// The log key file.
pub const LOG_KEY_FILE: &str = "log.key";
/// The index key file.
pub const INDEX_KEY_FILE: &str = "index.key";
/// The environment variable holding the password of encrypted registry keys.
pub const PASSWORD_ENV: &str = "OMEGA_REGISTRY_PASSWORD";

/// The note key name of the index key for `origin`.
pub fn index_key_name(origin: &str) -> String {
    format!("{origin}/index")
}

/// The registry's loaded secret keys with their vkeys.
pub struct RegistryKeys {
    /// The log key.
    pub log: SecretKey,
    /// Its vkey (name = origin).
    pub log_vkey: Vkey,
    /// The index key.
    pub index: SecretKey,
    /// Its vkey.
    pub index_vkey: Vkey,
}

fn keys_dir(dir: &Path) -> PathBuf {
    dir.join(KEYS_DIR)
}

fn password(confirm: bool) -> Result<Vec<u8>, Failure> {
    if let Some(p) = std::env::var_os(PASSWORD_ENV) {
        // The bytes as given (a lossy conversion would turn two different non-UTF-8
        // passwords into the same one).
        use std::os::unix::ffi::OsStringExt;
        return Ok(p.into_vec());
    }
    let first = prompt_password("Registry key password: ")?;
    if confirm {
        let second = prompt_password("Registry key password (one more time): ")?;
        if first != second {
            return usage("the passwords do not match");
        }
    }
    Ok(first)
}

/// Makes the log and index keys for `origin` and writes them to `DIR/.keys/` (refusing to
/// overwrite existing ones).
pub fn create(dir: &Path, origin: &str, encrypt: bool) -> Result<RegistryKeys, Failure> {
    let kd = keys_dir(dir);
    let mut b = DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(&kd).map_err(|e| io_err(&kd, &e))?;
    let pw = if encrypt { Some(password(true)?) } else { None };
    if pw.as_ref().is_some_and(Vec::is_empty) {
        return usage("empty registry key password");
    }
    let mut made = Vec::new();
    for file in [LOG_KEY_FILE, INDEX_KEY_FILE] {
        let mut seed = [0u8; 32];
        let mut id = [0u8; 8];
        let mut salt = [0u8; 32];
        random_bytes(&mut seed)?;
        random_bytes(&mut id)?;
        random_bytes(&mut salt)?;
        let sk = SecretKey::from_seed(&seed, KeyId(id));
        let protection = match &pw {
            None => KeyProtection::Unencrypted,
            Some(p) => KeyProtection::Password {
                password: p,
                salt,
                opslimit: DEFAULT_OPSLIMIT,
                memlimit: DEFAULT_MEMLIMIT,
            },
        };
        let text = sk.to_file_text(protection, &format!("omega registry {file} of {origin}"))?;
        write_atomic(&kd.join(file), text.as_bytes(), 0o600, Overwrite::Refuse)?;
        made.push(sk);
    }
    let index = made.pop();
    let log = made.pop();
    match (log, index) {
        (Some(log), Some(index)) => with_vkeys(origin, log, index),
        _ => usage("internal: keys not made"),
    }
}

fn with_vkeys(origin: &str, log: SecretKey, index: SecretKey) -> Result<RegistryKeys, Failure> {
    let log_vkey = signer_vkey(origin, &log)?;
    let index_vkey = signer_vkey(&index_key_name(origin), &index)?;
    Ok(RegistryKeys {
        log,
        log_vkey,
        index,
        index_vkey,
    })
}

fn load_one(path: &Path, pw: &mut Option<Vec<u8>>) -> Result<SecretKey, Failure> {
    let text = read_small(path, MAX_KEY_FILE_BYTES)?;
    let file = SecretKeyFile::parse(&text).map_err(|e| e.context(&path.display().to_string()))?;
    if !file.is_encrypted() {
        return Ok(file.decrypt(None)?);
    }
    if pw.is_none() {
        *pw = Some(password(false)?);
    }
    Ok(file
        .decrypt(pw.as_deref())
        .map_err(|e| e.context(&path.display().to_string()))?)
}

/// Loads `DIR/.keys/` and checks the keys are the ones the registry's latest `registry`
/// entry names (`KEY_NOT_TRUSTED` otherwise: another registry's keys).
pub fn load(dir: &Path, log_key: &Vkey, index_key: &Vkey) -> Result<RegistryKeys, Failure> {
    let kd = keys_dir(dir);
    let mut pw = None;
    let log = load_one(&kd.join(LOG_KEY_FILE), &mut pw)?;
    let index = load_one(&kd.join(INDEX_KEY_FILE), &mut pw)?;
    let log_vkey = signer_vkey(log_key.name(), &log)?;
    let index_vkey = signer_vkey(index_key.name(), &index)?;
    if log_vkey != *log_key {
        return err(
            ErrorCode::KeyNotTrusted,
            format!(
                "{}: the log key {log_vkey} is not the registry's log key {log_key}",
                kd.join(LOG_KEY_FILE).display()
            ),
        );
    }
    if index_vkey != *index_key {
        return err(
            ErrorCode::KeyNotTrusted,
            format!(
                "{}: the index key {index_vkey} is not the registry's index key {index_key}",
                kd.join(INDEX_KEY_FILE).display()
            ),
        );
    }
    Ok(RegistryKeys {
        log,
        log_vkey,
        index,
        index_vkey,
    })
}
