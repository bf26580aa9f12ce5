//! `omega statement …`: a registry statement in its canonical bytes (what every signer
//! signs), with serials filled from the registry's current state (read from a folder or a
//! URL, its log replayed); and `omega sign --append`, which adds one signer's block to the
//! statement's `.minisig` (an entry takes 1–16 blocks, one per signer).

use std::path::Path;

use omega_core::limits::MAX_SIGNATURE_FILE_BYTES;
use omega_core::registry::RegistryState;
use omega_core::statement::{
    Mode, NoticeStatement, OwnersStatement, RegistryStatement, RevokeStatement, SequenceRange,
    Severity, Statement, YankStatement,
};
use omega_core::{ErrorCode, KeySet, PublicKey, SignatureBlock};

use crate::args::StatementCommand;
use crate::net::Source;
use crate::out::Paint;
use crate::util::{
    io_err, parse_key_arg, usage, write_atomic, CmdResult, Failure, Overwrite, EXIT_OK,
};

use super::err;
use super::log::read_log;

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

/// The registry's current state, read from a folder or URL by replaying its log, the
/// checkpoint's log signature checked with the log key the state names.
pub fn current_state(registry: &str) -> Result<RegistryState, Failure> {
    let source = Source::parse(registry)?;
    if let Some(w) = source.warning() {
        esay!("omega: {w}");
    }
    let log = read_log(&source, false)?;
    let state = log.state()?;
    omega_core::note::verify(&log.checkpoint.note, std::slice::from_ref(&state.log_key))
        .map_err(|e| e.context(&format!("{registry}: checkpoint")))?;
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
    let (statement, output) = match c {
        StatementCommand::Owners(a) => {
            let state = current_state(&a.registry)?;
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
            (s, &a.output)
        }
        StatementCommand::Revoke(a) => {
            let state = current_state(&a.registry)?;
            name_state(&state, &a.name)?;
            let s = Statement::Revoke(RevokeStatement {
                origin: state.origin.clone(),
                name: a.name.clone(),
                key: parse_key_arg(&a.key, "--key")?,
                reason: a.reason.clone(),
            });
            (s, &a.output)
        }
        StatementCommand::Yank(a) => {
            let state = current_state(&a.registry)?;
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
            (s, &a.output)
        }
        StatementCommand::Notice(a) => {
            let state = current_state(&a.registry)?;
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
            (s, &a.output)
        }
        StatementCommand::Registry(a) => {
            let state = current_state(&a.registry)?;
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
            (s, &a.output)
        }
    };
    statement.validate()?;
    let bytes = statement.to_bytes();
    write_atomic(output, &bytes, 0o644, Overwrite::Replace)?;
    let p = Paint::stdout();
    say!(
        "{} {} to {}",
        p.good("wrote"),
        crate::out::shown(&statement.describe()),
        output.display()
    );
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
