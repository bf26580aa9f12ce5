//! `omega digest`, `omega pack`, `omega cosign`, `omega check`: one package directory.

use std::collections::BTreeMap;
use std::path::Path;

use omega_core::fs::{check_dir, digest_dir, read_limited, read_tree, NESTED_MODULES_DIR};
use omega_core::limits::{MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES};
use omega_core::manifest::{MANIFEST_PATH, SIGNATURE_PATH};
use omega_core::secret::SecretKey;
use omega_core::tree::METADATA_DIR;
use omega_core::ReportJson;
use omega_core::{
    Error, ErrorCode, KeySet, LegacyPolicy, Manifest, Pins, PublicKey, Report, SignatureBlock,
    TreeDigest,
};

use crate::args::{CheckArgs, CosignArgs, DigestArgs, PackArgs};
use crate::cmd_keys::SIGNATURE_COMMENT;
use crate::out::{key_text, keys_text, print_json, problem_line, with_spinner, Paint};
use crate::util::{
    exit_for, io_err, load_secret_key, parse_key_arg, split_assignment, unix_now, usage,
    write_atomic, CmdResult, Failure, Overwrite, EXIT_OK,
};

/// `omega digest`.
pub fn digest(a: &DigestArgs) -> CmdResult {
    let d = with_spinner("hashing files…", || digest_dir(&a.dir))?;
    say!("{d}");
    Ok(EXIT_OK)
}

/// The trusted comment of a manifest signature.
fn manifest_comment(m: &Manifest) -> String {
    format!(
        "timestamp:{}\tfile:manifest.json\tpackage:{}@{}\tsequence:{}",
        unix_now(),
        m.name,
        m.version,
        m.sequence
    )
}

/// Creates `DIR/.omega` if needed; refuses a link or a file in its place.
fn metadata_dir(dir: &Path) -> Result<(), Failure> {
    let meta_dir = dir.join(METADATA_DIR);
    match meta_dir.symlink_metadata() {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Failure::Core(Error::new(
            ErrorCode::UnsupportedFileType,
            format!("{}: not a directory", meta_dir.display()),
        ))),
        Err(_) => std::fs::create_dir(&meta_dir).map_err(|e| io_err(&meta_dir, &e)),
    }
}

fn sign_manifest(sk: &SecretKey, m: &Manifest, bytes: &[u8]) -> Result<SignatureBlock, Failure> {
    Ok(sk.sign(bytes, &manifest_comment(m), SIGNATURE_COMMENT)?)
}

/// `omega pack`.
pub fn pack(a: &PackArgs) -> CmdResult {
    let mut deps: BTreeMap<String, TreeDigest> = BTreeMap::new();
    for d in &a.deps {
        let (name, digest) = split_assignment(d, "--dep")?;
        let digest = TreeDigest::parse(digest)
            .map_err(|e| Failure::Core(e.context(&format!("--dep {name}"))))?;
        if deps.insert(name.to_string(), digest).is_some() {
            return usage(format!("--dep {name} is given twice"));
        }
    }
    let parse_keys = |list: &[String], what: &str| -> Result<Vec<PublicKey>, Failure> {
        list.iter().map(|k| parse_key_arg(k, what)).collect()
    };
    let given_signers = parse_keys(&a.signers, "--signer")?;
    let next = parse_keys(&a.next, "--next")?;

    let sk = load_secret_key(a.secret_key.as_deref())?;
    let pk = sk.public_key();
    let signers = if given_signers.is_empty() {
        vec![pk]
    } else if given_signers.contains(&pk) {
        given_signers
    } else {
        return usage(format!(
            "the signing key {} is not among the --signer keys; add --signer {pk}",
            key_text(&pk)
        ));
    };
    let keys = KeySet {
        threshold: a.threshold.unwrap_or(1),
        signers,
        next,
    };
    if a.dir
        .join(NESTED_MODULES_DIR)
        .symlink_metadata()
        .is_ok_and(|m| m.is_dir())
    {
        return usage(format!(
            "{}: has a node_modules/ folder; an installed package never contains its own \
             node_modules/ (omega lock and audit leave it out), so it would not verify once \
             installed: pack a clean copy (e.g. the contents of `npm pack`)",
            a.dir.display()
        ));
    }
    let listing = with_spinner("hashing files…", || read_tree(&a.dir))?;
    let m = Manifest::new(&a.name, &a.pkg_version, a.sequence, &listing, deps, keys)?;
    let bytes = m.to_json_bytes();
    let block = sign_manifest(&sk, &m, &bytes)?;

    metadata_dir(&a.dir)?;
    write_atomic(
        &a.dir.join(MANIFEST_PATH),
        &bytes,
        0o644,
        Overwrite::Replace,
    )?;
    write_atomic(
        &a.dir.join(SIGNATURE_PATH),
        block.to_text().as_bytes(),
        0o644,
        Overwrite::Replace,
    )?;
    if let Some(out) = &a.tgz {
        let mut files: Vec<(String, bool, Vec<u8>)> =
            Vec::with_capacity(listing.entries().len() + 2);
        for e in listing.entries() {
            let path = a.dir.join(&e.path);
            let data = std::fs::read(&path).map_err(|err| io_err(&path, &err))?;
            // The tarball holds exactly the bytes that were hashed.
            if omega_core::hash::blake2b256(&data) != e.hash {
                return Err(Failure::Core(Error::new(
                    ErrorCode::FileChanged,
                    format!("{}: changed while packing", path.display()),
                )));
            }
            files.push((
                e.path.to_string(),
                e.kind == omega_core::FileKind::Executable,
                data,
            ));
        }
        files.push((MANIFEST_PATH.to_string(), false, bytes.clone()));
        files.push((
            SIGNATURE_PATH.to_string(),
            false,
            block.to_text().into_bytes(),
        ));
        let tgz = omega_core::tarball::write_tgz(&files)?;
        write_atomic(out, &tgz, 0o644, Overwrite::Replace)?;
        say!("  tarball {} ({} bytes)", out.display(), tgz.len());
    }
    let p = Paint::stdout();
    say!(
        "{} {}@{} (sequence {}, {} files): {}",
        p.good("packed"),
        m.name,
        m.version,
        m.sequence,
        m.files.len(),
        m.tree
    );
    say!("  signed by {}", key_text(&pk));
    say!(
        "  next release needs {} of: {}{}",
        m.keys.threshold,
        keys_text(&m.keys.signers),
        if m.keys.next.is_empty() {
            String::new()
        } else {
            format!("; or next keys: {}", keys_text(&m.keys.next))
        }
    );
    Ok(EXIT_OK)
}

/// `omega cosign`.
pub fn cosign(a: &CosignArgs) -> CmdResult {
    let manifest_path = a.dir.join(MANIFEST_PATH);
    let sig_path = a.dir.join(SIGNATURE_PATH);
    let Some(bytes) = read_limited(&manifest_path, MAX_MANIFEST_BYTES)? else {
        return Err(Failure::Core(Error::new(
            ErrorCode::NotFound,
            format!(
                "{}: no manifest (run omega pack first)",
                manifest_path.display()
            ),
        )));
    };
    let m = Manifest::parse(&bytes).map_err(|e| e.context(&manifest_path.display().to_string()))?;
    let existing = read_limited(&sig_path, MAX_SIGNATURE_FILE_BYTES)?;
    let blocks = match &existing {
        Some(text) => SignatureBlock::parse_all(text, &sig_path.display().to_string())?,
        None => Vec::new(),
    };
    let sk = load_secret_key(a.secret_key.as_deref())?;
    let pk = sk.public_key();
    if blocks.iter().any(|b| b.key_id() == pk.key_id()) {
        return usage(format!(
            "{}: key {} has already signed this manifest",
            m.name,
            key_text(&pk)
        ));
    }
    if !m.keys.allows(&pk) {
        return usage(format!(
            "{}: key {} is not one of the manifest's keys.signers or keys.next, so its signature would not count",
            m.name,
            key_text(&pk)
        ));
    }
    // The co-signer vouches for the files: they must match the manifest.
    let report = with_spinner("hashing files…", || {
        check_dir(&a.dir, &Pins::digest(m.tree))
    });
    if let Err(e) = report {
        return Err(print_refusal(&e));
    }
    let block = sign_manifest(&sk, &m, &bytes)?;
    let mut text = existing.unwrap_or_default();
    if !text.is_empty() && !text.ends_with(b"\n") {
        text.push(b'\n');
    }
    text.extend_from_slice(block.to_text().as_bytes());
    write_atomic(&sig_path, &text, 0o644, Overwrite::Replace)?;
    let p = Paint::stdout();
    say!(
        "{} {}@{} (sequence {}): {}",
        p.good("cosigned"),
        m.name,
        m.version,
        m.sequence,
        m.tree
    );
    say!(
        "  signed by {} ({} signature blocks now)",
        key_text(&pk),
        blocks.len() + 1
    );
    Ok(EXIT_OK)
}

/// Prints a failed check's problems (or its error) and returns the exit status to use.
fn print_refusal(e: &Error) -> Failure {
    match e.report() {
        Some(r) => {
            let p = Paint::stdout();
            for pr in &r.problems {
                say!("{}", problem_line(p, pr));
            }
            Failure::Exit(exit_for(e.code()))
        }
        None => Failure::Core(e.clone()),
    }
}

/// The `--json` object of a check: core's one JSON shape of a report or a failed check.
pub fn check_json(result: &Result<Report, Error>) -> ReportJson<'_> {
    result.as_ref().map_or_else(Error::json, Report::json)
}

/// The one-line verdict of a passing report; `at` names the install path when it matters.
pub fn ok_line(p: Paint, r: &Report, at: Option<&str>) -> String {
    let version = match (&r.version, r.sequence) {
        (Some(v), Some(s)) => format!("@{v} (sequence {s})"),
        _ => String::new(),
    };
    let at = at.map_or_else(String::new, |a| format!(" at {a}"));
    let signed = if r.signed_by.is_empty() {
        String::new()
    } else {
        format!(", signed by {}", keys_text(&r.signed_by))
    };
    format!(
        "{} {}{}{}: {}{signed}",
        p.good("OK"),
        crate::out::shown(&r.package),
        crate::out::shown(&version),
        crate::out::shown(&at),
        r.tree
    )
}

/// `omega check`.
pub fn check(a: &CheckArgs) -> CmdResult {
    let pins = match check_pins(a) {
        Ok(p) => p,
        Err(Failure::Core(e)) if a.json => {
            print_json(&check_json(&Err(e.clone())));
            return Ok(exit_for(e.code()));
        }
        Err(f) => return Err(f),
    };
    let result = with_spinner("checking…", || check_dir(&a.dir, &pins));
    if a.json {
        print_json(&check_json(&result));
        return Ok(match &result {
            Ok(_) => EXIT_OK,
            Err(e) => exit_for(e.code()),
        });
    }
    match result {
        Ok(r) => {
            say!("{}", ok_line(Paint::stdout(), &r, None));
            Ok(EXIT_OK)
        }
        Err(e) => Err(print_refusal(&e)),
    }
}

fn check_pins(a: &CheckArgs) -> Result<Pins, Failure> {
    let digest = match &a.digest {
        Some(d) => Some(TreeDigest::parse(d).map_err(|e| e.context("--digest"))?),
        None => None,
    };
    let keys = a
        .keys
        .iter()
        .map(|k| parse_key_arg(k, "-P"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Pins::new(digest, keys, a.threshold, LegacyPolicy::Refuse))
}
