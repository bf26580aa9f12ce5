//! `omega keygen`, `omega sign`, `omega verify`: minisign-compatible keys and signatures.

use std::fs::{DirBuilder, File};
use std::path::{Path, PathBuf};

use omega_core::limits::MAX_KEY_FILE_BYTES;
use omega_core::secret::{
    KeyProtection, SecretKey, StreamSigner, DEFAULT_MEMLIMIT, DEFAULT_OPSLIMIT,
};
use omega_core::{Error, ErrorCode, KeyId, LegacyPolicy, PublicKey};

use crate::args::{KeygenArgs, SignArgs, VerifyArgs};
use crate::out::with_spinner;
use crate::util::{
    io_err, load_secret_key, parse_key_arg, password_from_env, prompt_password, random_bytes,
    read_small, secret_key_path, unix_now, usage, write_atomic, CmdResult, Failure, Overwrite,
    EXIT_OK,
};

/// The untrusted comment of every signature omega makes.
pub const SIGNATURE_COMMENT: &str = "signature from omega secret key";
/// The default public key file, as minisign's.
pub const DEFAULT_PUBLIC_KEY: &str = "minisign.pub";

/// `omega keygen`.
pub fn keygen(a: &KeygenArgs) -> CmdResult {
    let pub_path = a
        .public_key
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PUBLIC_KEY));
    let sec_path = secret_key_path(a.secret_key.as_deref())?;
    if !a.force {
        for p in [&sec_path, &pub_path] {
            if p.symlink_metadata().is_ok() {
                return usage(format!(
                    "{} already exists; use -f to overwrite it",
                    p.display()
                ));
            }
        }
    }
    let password = if a.unencrypted {
        None
    } else if let Some(p) = password_from_env() {
        Some(p)
    } else {
        esay!("Please enter a password to protect the secret key.");
        let first = prompt_password("Password: ")?;
        let second = prompt_password("Password (one more time): ")?;
        if first != second {
            return usage("the passwords do not match");
        }
        Some(first)
    };
    if password.as_ref().is_some_and(Vec::is_empty) {
        return usage("empty password: use -W for a key without a password");
    }

    let mut seed = [0u8; 32];
    let mut id = [0u8; 8];
    let mut salt = [0u8; 32];
    random_bytes(&mut seed)?;
    random_bytes(&mut id)?;
    random_bytes(&mut salt)?;
    let sk = SecretKey::from_seed(&seed, KeyId(id));
    let pk = sk.public_key();
    let (protection, default_comment) = match &password {
        None => (KeyProtection::Unencrypted, "omega unencrypted secret key"),
        Some(pw) => (
            KeyProtection::Password {
                password: pw,
                salt,
                opslimit: DEFAULT_OPSLIMIT,
                memlimit: DEFAULT_MEMLIMIT,
            },
            "omega encrypted secret key",
        ),
    };
    let comment = a.comment.as_deref().unwrap_or(default_comment);
    let secret_text = if password.is_some() {
        with_spinner("Deriving a key from the password…", || {
            sk.to_file_text(protection, comment)
        })?
    } else {
        sk.to_file_text(protection, comment)?
    };

    if let Some(dir) = sec_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut b = DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                b.mode(0o700);
            }
            b.create(dir).map_err(|e| io_err(dir, &e))?;
        }
    }
    let mode = if a.force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    write_atomic(&sec_path, secret_text.as_bytes(), 0o600, mode)?;
    write_atomic(&pub_path, pk.to_file_text().as_bytes(), 0o644, mode)?;

    let sec_shown = sec_path.display();
    say!("The secret key was saved as {sec_shown} - Keep it secret!");
    say!(
        "The public key was saved as {} - That one can be public.",
        pub_path.display()
    );
    say!();
    say!("Public key: {pk}");
    say!("Key id:     {}", pk.key_id());
    say!();
    let s_opt = match &a.secret_key {
        Some(p) => format!(" -s {}", p.display()),
        None => String::new(),
    };
    say!("Sign a file:        omega sign <file>{s_opt}");
    say!("Verify it:          omega verify <file> -P {pk}");
    say!("                    (or: minisign -Vm <file> -P {pk})");
    say!(
        "Sign a package:     omega pack <dir> --name <name> --version <version> --sequence 1{s_opt}"
    );
    say!("Check a package:    omega check <dir> -P {pk}");
    Ok(EXIT_OK)
}

fn open_regular(path: &Path) -> Result<(File, u64), Failure> {
    let f = File::open(path).map_err(|e| io_err(path, &e))?;
    let meta = f.metadata().map_err(|e| io_err(path, &e))?;
    if !meta.is_file() {
        return Err(Failure::Core(Error::new(
            ErrorCode::NotFound,
            format!("{}: not a regular file", path.display()),
        )));
    }
    Ok((f, meta.len()))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// The signature file `sign` writes for `file`.
fn signature_path(a: &SignArgs, file: &Path) -> PathBuf {
    a.signature
        .clone()
        .unwrap_or_else(|| with_suffix(file, ".minisig"))
}

/// Whether two paths name the same existing file: same device and inode (so `./f`, `f`, a hard
/// link and a symbolic link to it all match), else the same canonical path.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if ma.dev() == mb.dev() && ma.ino() == mb.ino() {
            return true;
        }
    }
    let _ = (ma, mb);
    matches!(
        (std::fs::canonicalize(a), std::fs::canonicalize(b)),
        (Ok(x), Ok(y)) if x == y
    )
}

/// Refuses a signature file that is one of the files being signed (`omega sign f -x f`, or
/// `omega sign f f.minisig`): writing it would destroy an input.
fn refuse_output_over_input(a: &SignArgs) -> Result<(), Failure> {
    for file in &a.files {
        let out = signature_path(a, file);
        if let Some(input) = a.files.iter().find(|i| same_file(&out, i)) {
            return usage(format!(
                "the signature file {} for {} is the input file {}: it would be overwritten; write the signature elsewhere",
                out.display(),
                file.display(),
                input.display()
            ));
        }
    }
    Ok(())
}

/// `omega sign`.
pub fn sign(a: &SignArgs) -> CmdResult {
    if a.signify || a.embedded || a.gzip {
        return crate::cmd_signify::sign(a);
    }
    if a.signature.is_some() && a.files.len() > 1 {
        return usage("-x names one signature file: give a single FILE with -x");
    }
    refuse_output_over_input(a)?;
    let sk = load_secret_key(a.secret_key.as_deref())?;
    for file in &a.files {
        let (f, _) = open_regular(file)?;
        let mut signer = StreamSigner::new();
        omega_core::fs::stream_file(file, f, |chunk| signer.update(chunk))?;
        let trusted = match &a.trusted_comment {
            Some(t) => t.clone(),
            None => {
                let base = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("timestamp:{}\tfile:{base}\thashed", unix_now())
            }
        };
        let block = signer
            .finalize(&sk, &trusted, SIGNATURE_COMMENT)
            .map_err(|e| e.context(&file.display().to_string()))?;
        let sig_path = signature_path(a, file);
        let text = if a.append {
            crate::registry::statement::appended_signatures(&sig_path, &block)?
        } else {
            block.to_text().into_bytes()
        };
        write_atomic(&sig_path, &text, 0o644, Overwrite::Replace)?;
    }
    Ok(EXIT_OK)
}

/// Reads a public key from `-P KEY` or a key file (`-p`, default `./minisign.pub`).
pub fn public_key_from(key: Option<&str>, file: Option<&Path>) -> Result<PublicKey, Failure> {
    if let Some(k) = key {
        return parse_key_arg(k, "-P");
    }
    let path = file.unwrap_or_else(|| Path::new(DEFAULT_PUBLIC_KEY));
    let text = read_small(path, MAX_KEY_FILE_BYTES)?;
    Ok(PublicKey::parse(&text).map_err(|e| e.context(&path.display().to_string()))?)
}

/// `omega verify`.
pub fn verify(a: &VerifyArgs) -> CmdResult {
    let key = public_key_from(a.key.as_deref(), a.public_key_file.as_deref())?;
    if let Some(status) = crate::cmd_signify::verify(a, &key)? {
        return Ok(status);
    }
    let legacy = if a.legacy {
        LegacyPolicy::Allow
    } else {
        LegacyPolicy::Refuse
    };
    // Core picks the block made by this key and streams the file through it.
    let trusted = omega_core::fs::verify_file(&a.file, &key, a.signature.as_deref(), legacy)?;
    if !a.quiet {
        say!("Signature and comment signature verified");
        say!("Trusted comment: {}", crate::out::shown(&trusted));
    }
    Ok(EXIT_OK)
}
