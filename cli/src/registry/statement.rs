//! `omega statement …`: a registry statement in its canonical bytes (what every signer
//! signs), with serials filled from the registry's current state (read from a folder or a
//! URL, its log replayed); and `omega sign --append`, which adds one signer's block to the
//! statement's `.minisig` (an entry takes 1–16 blocks, one per signer).

use std::path::Path;

use omega_core::limits::{MAX_POLICY_BYTES, MAX_SIGNATURE_FILE_BYTES};
use omega_core::registry::RegistryState;
use omega_core::statement::{
    Mode, NoticeStatement, OwnersStatement, RegistryStatement, RevokeStatement, SequenceRange,
    Severity, Statement, YankStatement,
};
use omega_core::{ErrorCode, KeySet, PublicKey, SignatureBlock};

use crate::args::{StatementCommand, StatementTrust};
use crate::net::RelPath;
use crate::net::Source;
use crate::out::print_json;
use crate::out::Paint;
use crate::util::{
    io_err, parse_key_arg, read_small, usage, write_atomic, CmdResult, Failure, Overwrite, EXIT_OK,
};

use super::err;

/// The signature file with `block` appended (`omega sign --append`): refuses a key that
/// already signed it.
pub fn appended_signatures(path: &Path, block: &SignatureBlock) -> Result<Vec<u8>, Failure> {
    let mut existing = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io_err(path, &e)),
    };
    if existing.len() > MAX_SIGNATURE_FILE_BYTES {
        return err(
            ErrorCode::TooLarge,
            format!(
                "{}: larger than {MAX_SIGNATURE_FILE_BYTES} bytes",
                path.display()
            ),
        );
    }
    if !existing.is_empty() {
        let blocks = SignatureBlock::parse_all(&existing, &path.display().to_string())?;
        if blocks.iter().any(|b| b.key_id() == block.key_id()) {
            return usage(format!(
                "{}: key id {} has already signed it",
                path.display(),
                block.key_id()
            ));
        }
        if !existing.ends_with(b"\n") {
            existing.push(b'\n');
        }
    }
    existing.extend_from_slice(block.to_text().as_bytes());
    Ok(existing)
}

/// Where the policy a statement's log is checked against came from.
struct Trusted {
    policy: omega_core::policy::Policy,
    /// Where it came from, for messages.
    from: String,
    /// The genesis the lock pins, if it pins this registry.
    genesis: Option<[u8; 32]>,
}

/// The policy (and pinned genesis) for `registry` (RR9): `--policy FILE`, else the pin of
/// `ROOT/omega.lock` for this URL or folder, else for a folder its own `policy` file; a URL
/// with neither is refused (`KEY_NOT_TRUSTED`): the log would be checked only against the key
/// it names itself.
fn trusted(registry: &str, source: &Source, t: &StatementTrust) -> Result<Trusted, Failure> {
    let lock = crate::install::read_lock(&t.root)?;
    let canonical = if source.is_local() {
        std::fs::canonicalize(registry)
            .ok()
            .map(|p| p.display().to_string())
    } else {
        None
    };
    let pinned = lock
        .registries
        .values()
        .find(|p| p.url == registry || Some(&p.url) == canonical.as_ref());
    let (text, from) = match (&t.policy, pinned) {
        (Some(f), _) => (read_small(f, MAX_POLICY_BYTES)?, f.display().to_string()),
        (None, Some(p)) => (
            p.policy.clone().into_bytes(),
            format!(
                "{} (its pin of {registry})",
                t.root.join(omega_core::lock::LOCK_FILE).display()
            ),
        ),
        (None, None) if source.is_local() => (
            source.get(&RelPath::policy(), MAX_POLICY_BYTES as u64)?,
            source.shown(&RelPath::policy()),
        ),
        (None, None) => {
            return err(
                ErrorCode::KeyNotTrusted,
                format!(
                    "{registry}: a statement is built from the registry's log, which must be checked against a policy obtained another way: give --policy FILE, or run where omega.lock pins {registry} (--root DIR)"
                ),
            )
        }
    };
    let text = String::from_utf8(text)
        .map_err(|_| Failure::Usage(format!("{from}: the policy is not UTF-8")))?;
    let policy = omega_core::policy::Policy::parse(&text).map_err(|e| e.context(&from))?;
    let genesis = pinned.map(|p| p.genesis);
    Ok(Trusted {
        policy,
        from,
        genesis,
    })
}

/// The registry's current state, read from a folder or URL by replaying its log; the
/// checkpoint must be signed by the log key of the trusted policy ([`trusted`]), the log must
/// name that key, and its genesis must be the pinned one when the lock pins the registry.
pub fn current_state(registry: &str, t: &StatementTrust) -> Result<RegistryState, Failure> {
    let source = Source::parse(registry)?;
    if let Some(w) = source.warning() {
        esay!("omega: {w}");
    }
    let trust = trusted(registry, &source, t)?;
    let log_key = match trust.policy.logs() {
        [one] => one.key.clone(),
        logs => {
            return err(
                ErrorCode::Malformed,
                format!(
                    "{}: names {} logs; a registry policy names exactly one",
                    trust.from,
                    logs.len()
                ),
            )
        }
    };
    let cp = super::log::read_checkpoint(&source)?;
    // The signature first: nothing of the log is read before the checkpoint is the policy's.
    omega_core::note::verify(&cp.note, std::slice::from_ref(&log_key)).map_err(|e| {
        e.context(&format!(
            "{registry}: checkpoint, checked with the log key of {}",
            trust.from
        ))
    })?;
    let progress = crate::progress::Progress::items(cp.checkpoint.size, "reading the log", true);
    let state = super::log::read_log_at(&source, cp, &progress, &mut |_, _| {})?.state;
    if state.log_key.to_string() != log_key.to_string() || state.origin != log_key.name() {
        return err(
            ErrorCode::KeyNotTrusted,
            format!(
                "{registry}: the log names the log key {} for {}, the policy of {} trusts {log_key}",
                state.log_key, state.origin, trust.from
            ),
        );
    }
    match trust.genesis {
        Some(g) if g != state.genesis => {
            return err(
                ErrorCode::LogInconsistent,
                format!(
                    "{registry}: the log's genesis {} is not the one omega.lock pins ({})",
                    state.genesis_hex(),
                    omega_core::hash::to_hex(&g)
                ),
            )
        }
        Some(_) => esay!(
            "omega: {registry}: log {} at size {} checked with the policy of {} and the pinned genesis",
            crate::out::shown(&state.origin),
            state.size,
            crate::out::shown(&trust.from)
        ),
        None => esay!(
            "omega: {registry}: log {} at size {} checked with the policy of {}; genesis {} (no pin to compare it with)",
            crate::out::shown(&state.origin),
            state.size,
            crate::out::shown(&trust.from),
            state.genesis_hex()
        ),
    }
    Ok(state)
}

fn keys(list: &[String], what: &str) -> Result<Vec<PublicKey>, Failure> {
    list.iter().map(|k| parse_key_arg(k, what)).collect()
}

fn range(text: &str) -> Result<SequenceRange, Failure> {
    let parsed = text
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)));
    match parsed {
        Some((from, to)) => Ok(SequenceRange { from, to }),
        None => usage(format!("--affected {text:?}: expected FROM-TO (sequences)")),
    }
}

fn name_state<'s>(
    state: &'s RegistryState,
    name: &str,
) -> Result<&'s omega_core::registry::NameState, Failure> {
    state.name(name).ok_or_else(|| {
        Failure::Core(omega_core::Error::new(
            ErrorCode::NotFound,
            format!("{name}: no owners in {} yet", state.origin),
        ))
    })
}

/// `omega statement …`.
pub fn statement(c: &StatementCommand) -> CmdResult {
    // Keys copied from the log into the statement (not given by the user): shown before
    // anyone signs (RR9).
    let mut copied: Vec<(&str, String)> = Vec::new();
    let (statement, output, trust) = match c {
        StatementCommand::Owners(a) => {
            let state = current_state(&a.registry, &a.trust)?;
            let serial = state.name(&a.name).map_or(0, |n| n.owners_serial + 1);
            let s = Statement::Owners(OwnersStatement {
                origin: state.origin.clone(),
                name: a.name.clone(),
                serial,
                keys: KeySet {
                    threshold: a.threshold.unwrap_or(1),
                    signers: keys(&a.owners, "--owner")?,
                    next: keys(&a.next, "--next")?,
                },
                reason: a.reason.clone(),
            });
            (s, &a.output, &a.trust)
        }
        StatementCommand::Revoke(a) => {
            let state = current_state(&a.registry, &a.trust)?;
            name_state(&state, &a.name)?;
            let s = Statement::Revoke(RevokeStatement {
                origin: state.origin.clone(),
                name: a.name.clone(),
                key: parse_key_arg(&a.key, "--key")?,
                reason: a.reason.clone(),
            });
            (s, &a.output, &a.trust)
        }
        StatementCommand::Yank(a) => {
            let state = current_state(&a.registry, &a.trust)?;
            let n = name_state(&state, &a.name)?;
            if n.release_by_sequence(a.sequence).map(|(v, _)| v.as_str()) != Some(&a.pkg_version) {
                return err(
                    ErrorCode::NotFound,
                    format!(
                        "{}@{} sequence {}: no such release in {}",
                        a.name, a.pkg_version, a.sequence, state.origin
                    ),
                );
            }
            let s = Statement::Yank(YankStatement {
                origin: state.origin.clone(),
                name: a.name.clone(),
                version: a.pkg_version.clone(),
                sequence: a.sequence,
                reason: a.reason.clone(),
            });
            (s, &a.output, &a.trust)
        }
        StatementCommand::Notice(a) => {
            let state = current_state(&a.registry, &a.trust)?;
            name_state(&state, &a.name)?;
            let s = Statement::Notice(NoticeStatement {
                origin: state.origin.clone(),
                name: a.name.clone(),
                id: a.id.clone(),
                severity: Severity::parse(&a.severity).map_err(|e| e.context("--severity"))?,
                affected: a
                    .affected
                    .iter()
                    .map(|r| range(r))
                    .collect::<Result<Vec<_>, _>>()?,
                fixed: a.fixed,
                summary: a.summary.clone(),
                url: a.url.clone(),
            });
            (s, &a.output, &a.trust)
        }
        StatementCommand::Registry(a) => {
            let state = current_state(&a.registry, &a.trust)?;
            let mode = match &a.mode {
                Some(m) => Mode::parse(m).map_err(|e| e.context("--mode"))?,
                None => state.mode,
            };
            let s = Statement::Registry(RegistryStatement {
                origin: state.origin.clone(),
                serial: state.serial + 1,
                janitors: KeySet {
                    threshold: a.threshold.unwrap_or(1),
                    signers: keys(&a.janitors, "--janitor")?,
                    next: Vec::new(),
                },
                log_key: state.log_key.clone(),
                index_key: state.index_key.clone(),
                mode,
            });
            copied.push(("log_key", state.log_key.to_string()));
            copied.push(("index_key", state.index_key.to_string()));
            (s, &a.output, &a.trust)
        }
    };
    statement.validate()?;
    let bytes = statement.to_bytes();
    write_atomic(output, &bytes, 0o644, Overwrite::Replace)?;
    if trust.json {
        let keys: serde_json::Map<String, serde_json::Value> = copied
            .iter()
            .map(|(k, v)| ((*k).to_string(), serde_json::Value::String(v.clone())))
            .collect();
        print_json(&serde_json::json!({
            "ok": true,
            "file": output.display().to_string(),
            "statement": statement.describe(),
            "copied": keys,
        }));
        return Ok(EXIT_OK);
    }
    let p = Paint::stdout();
    say!(
        "{} {} to {}",
        p.good("wrote"),
        crate::out::shown(&statement.describe()),
        output.display()
    );
    for (k, v) in &copied {
        say!(
            "  {} {k} {} (copied from the registry's log: check it before signing)",
            p.warn("copied"),
            crate::out::shown(v)
        );
    }
    say!(
        "  sign it:   omega sign {} -s SEC --append   (each signer)",
        output.display()
    );
    say!(
        "  submit it: omega registry submit DIR {}",
        output.display()
    );
    Ok(EXIT_OK)
}
