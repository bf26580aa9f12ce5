//! The monitor: `omega log verify` (every entry proven by the tiles against a checkpoint the
//! policy accepts, the whole log replayed, every index note checked against the log),
//! `omega log monitor` (the entries that name a key or carry its signature block) and
//! `omega note verify` (any C2SP signed note).

use std::collections::BTreeMap;

use omega_core::index::{IndexLine, IndexNote};
use omega_core::limits::{MAX_INDEX_BYTES, MAX_POLICY_BYTES};
use omega_core::note;
use omega_core::policy::Policy;
use omega_core::statement::Statement;
use omega_core::vkey::Vkey;
use omega_core::{Error, ErrorCode, PublicKey};

use crate::args::{LogCommand, LogMonitorArgs, LogVerifyArgs, NoteCommand, NoteVerifyArgs};
use crate::net::source::DEFAULT_PARALLEL_FETCHES;
use crate::net::{RelPath, Source};
use crate::out::{print_error, print_json, Paint};
use crate::progress::Progress;
use crate::util::{exit_for, parse_key_arg, read_small, CmdResult, Failure, EXIT_OK};

use super::append::add_index_line;
use super::log::{read_checkpoint, replay_log_at};

/// `omega log …`.
pub fn log(c: &LogCommand) -> CmdResult {
    match c {
        LogCommand::Verify(a) => verify(a),
        LogCommand::Monitor(a) => monitor(a),
    }
}

/// `omega note …`.
pub fn note(c: &NoteCommand) -> CmdResult {
    match c {
        NoteCommand::Verify(a) => note_verify(a),
    }
}

fn policy_from(
    source: &Source,
    file: Option<&std::path::Path>,
) -> Result<(Policy, String), Failure> {
    let (bytes, shown) = match file {
        Some(f) => (read_small(f, MAX_POLICY_BYTES)?, f.display().to_string()),
        None => (
            source.get(&RelPath::policy(), MAX_POLICY_BYTES as u64)?,
            source.shown(&RelPath::policy()),
        ),
    };
    let text = String::from_utf8(bytes).map_err(|_| {
        Failure::Core(Error::new(
            ErrorCode::Malformed,
            format!("{shown}: not UTF-8"),
        ))
    })?;
    let policy = Policy::parse(&text).map_err(|e| e.context(&shown))?;
    Ok((policy, shown))
}

/// Index notes fetched at once by `log verify` (in parallel, [`DEFAULT_PARALLEL_FETCHES`]
/// requests at a time).
const INDEX_FETCH_BATCH: usize = 256;

/// What `log verify` found.
struct Verified {
    origin: String,
    size: u64,
    names: usize,
    witnesses: Vec<(String, u64)>,
}

fn verify_log(a: &LogVerifyArgs, source: &Source) -> Result<Verified, Error> {
    let (policy, _) = policy_from(source, a.policy.as_deref()).map_err(into_error)?;
    let cp = read_checkpoint(source)?;
    let vc = policy.verify_checkpoint(&cp.bytes, None, 0)?;
    let size = cp.checkpoint.size;
    let progress = Progress::items(size, "entries", a.json);
    // Window by window: each window's bundles proven, its signatures checked on all cores,
    // its entries applied in order and their index lines kept; then its bytes are dropped.
    let mut lines: BTreeMap<String, Vec<IndexLine>> = BTreeMap::new();
    let state = replay_log_at(source, &cp.checkpoint, &progress, &mut |i, e| {
        add_index_line(&mut lines, i, &e.statement)
    });
    progress.finish();
    let state = state?;
    // The log key the log itself names now must be the one the policy trusts.
    if state.log_key.to_string() != vc.log_key {
        return Err(Error::new(
            ErrorCode::KeyNotTrusted,
            format!(
                "entry {}: the registry's log key is {}, the policy's {}",
                state.registry_entry, state.log_key, vc.log_key
            ),
        ));
    }
    // Every index note must list exactly the entries of its name below its as-of.
    let mut ahead: Vec<String> = Vec::new();
    // The index notes are fetched INDEX_FETCH_BATCH names at a time, in parallel (one
    // request per name one after the other would cost a round trip each), then checked in
    // name order.
    let names: Vec<(&String, &Vec<IndexLine>)> = lines.iter().collect();
    let mut fetched: Vec<(RelPath, Result<Vec<u8>, Error>)> = Vec::new();
    for (n, (name, all)) in names.iter().copied().enumerate() {
        if n % INDEX_FETCH_BATCH == 0 {
            let end = (n + INDEX_FETCH_BATCH).min(names.len());
            let rels = names
                .get(n..end)
                .unwrap_or_default()
                .iter()
                .map(|(name, _)| RelPath::index(name))
                .collect::<Result<Vec<_>, _>>()?;
            let got = source.fetch_all_with(
                &rels,
                MAX_INDEX_BYTES as u64,
                DEFAULT_PARALLEL_FETCHES,
                &Progress::hidden(),
            );
            fetched = rels.into_iter().zip(got).rev().collect();
        }
        let Some((rel, bytes)) = fetched.pop() else {
            return Err(Error::new(
                ErrorCode::Io,
                format!("index note of {name}: not fetched"),
            ));
        };
        let bytes = bytes?;
        if let Some(as_of) = ahead_of(&bytes, size) {
            // RR11: an index ahead of the checkpoint (a write in progress or interrupted, or a
            // checkpoint held back) is still verified: its signature by the index key, then
            // every line below the checkpoint's size, which must be exactly the log's. Its
            // lines from `size` on cannot be judged here: the verification fails (STALE).
            let idx = IndexNote::verify(
                &bytes,
                &state.index_key,
                &state.origin,
                name,
                u64::MAX,
                None,
            )
            .map_err(|e| e.context(&source.shown(&rel)))?;
            let listed: Vec<_> = idx
                .lines
                .iter()
                .filter(|l| l.entry() < size)
                .cloned()
                .collect();
            if &listed != all {
                return Err(Error::new(
                    ErrorCode::LogInconsistent,
                    format!(
                        "{}: the index of {name} (as-of {as_of}) does not list exactly the log's entries of {name} below the checkpoint's size {size}",
                        source.shown(&rel)
                    ),
                ));
            }
            ahead.push(format!("{} (as-of {as_of})", source.shown(&rel)));
            continue;
        }
        let idx = IndexNote::verify(&bytes, &state.index_key, &state.origin, name, size, None)
            .map_err(|e| e.context(&source.shown(&rel)))?;
        let expected: Vec<_> = all
            .iter()
            .filter(|l| l.entry() < idx.as_of)
            .cloned()
            .collect();
        if idx.lines != expected {
            return Err(Error::new(
                ErrorCode::LogInconsistent,
                format!(
                    "{}: the index of {name} at as-of {} does not list exactly the log's entries of {name} below it",
                    source.shown(&rel),
                    idx.as_of
                ),
            ));
        }
    }
    if !ahead.is_empty() {
        return Err(Error::new(
            ErrorCode::Stale,
            format!(
                "{} index note(s) are ahead of the checkpoint of size {size}: {}; their lines below {size} match the log, the rest cannot be checked against this checkpoint (a write in progress or interrupted, or a checkpoint held back): verify again once the checkpoint covers them",
                ahead.len(),
                ahead.join(", ")
            ),
        ));
    }
    Ok(Verified {
        origin: state.origin,
        size,
        names: lines.len(),
        witnesses: vc.witnesses,
    })
}

/// The `as-of` of an index note when it is beyond `size` (the note is not judged here).
fn ahead_of(bytes: &[u8], size: u64) -> Option<u64> {
    let n = omega_core::note::Note::parse(bytes).ok()?;
    let idx = IndexNote::parse(n.text()).ok()?;
    (idx.as_of > size).then_some(idx.as_of)
}

fn into_error(f: Failure) -> Error {
    match f {
        Failure::Core(e) => e,
        Failure::Usage(m) => Error::new(ErrorCode::Malformed, m),
        Failure::Exit(s) => Error::new(ErrorCode::Io, format!("exit {s}")),
    }
}

/// `omega log verify`.
fn verify(a: &LogVerifyArgs) -> CmdResult {
    let source = Source::parse(&a.url)?;
    if let Some(w) = source.warning() {
        esay!("omega: {w}");
    }
    match verify_log(a, &source) {
        Ok(v) => {
            if a.json {
                let w: Vec<_> = v
                    .witnesses
                    .iter()
                    .map(|(n, t)| serde_json::json!({"name": n, "time": t}))
                    .collect();
                print_json(&serde_json::json!({
                    "ok": true, "code": null, "message": null, "origin": v.origin,
                    "size": v.size, "names": v.names, "witnesses": w,
                }));
            } else {
                let p = Paint::stdout();
                let w = if v.witnesses.is_empty() {
                    "no witness cosignature".to_string()
                } else {
                    let list: Vec<String> = v
                        .witnesses
                        .iter()
                        .map(|(n, t)| format!("{n} at {t}"))
                        .collect();
                    format!("cosigned by {}", list.join(", "))
                };
                say!(
                    "{} {}: {} entries replayed, {} index notes match the log; {w}",
                    p.good("verified"),
                    crate::out::shown(&v.origin),
                    v.size,
                    v.names
                );
            }
            Ok(EXIT_OK)
        }
        Err(e) => {
            if a.json {
                print_json(&serde_json::json!({
                    "ok": false, "code": e.code().as_str(), "message": e.message(),
                }));
            } else {
                print_error(&e);
            }
            Ok(exit_for(e.code()))
        }
    }
}

fn mentions(s: &Statement, key: &PublicKey) -> bool {
    match s {
        Statement::Registry(r) => r.janitors.signers.contains(key) || r.janitors.next.contains(key),
        Statement::Owners(o) => o.keys.signers.contains(key) || o.keys.next.contains(key),
        Statement::Release(r) => r.keys.signers.contains(key) || r.keys.next.contains(key),
        Statement::Revoke(r) => r.key == *key,
        Statement::Yank(_) | Statement::Notice(_) => false,
    }
}

/// `omega log monitor`: a block is "signed by KEY" when its key id is KEY's (replay verified
/// every block of a valid entry against the key its id selects).
fn monitor(a: &LogMonitorArgs) -> CmdResult {
    let key = parse_key_arg(&a.key, "--key")?;
    let source = Source::parse(&a.url)?;
    if let Some(w) = source.warning() {
        esay!("omega: {w}");
    }
    // Window by window (bounded memory): only the entries that involve the key are kept.
    let mut found = Vec::new();
    let log = super::log::read_log(&source, a.json, &mut |i, e| {
        if i < a.since {
            return;
        }
        let named = mentions(&e.statement, &key);
        let signed = e.signatures.iter().any(|b| b.key_id() == key.key_id());
        if named || signed {
            found.push((i, e.statement.describe(), named, signed));
        }
    })?;
    let state = &log.state;
    note::verify(&log.checkpoint.note, std::slice::from_ref(&state.log_key))
        .map_err(|e| e.context(&source.shown(&RelPath::checkpoint())))?;
    let size = log.state.size;
    if a.json {
        let list: Vec<_> = found
            .iter()
            .map(|(i, d, n, s)| serde_json::json!({"index": i, "statement": d, "names_key": n, "signed_by_key": s}))
            .collect();
        print_json(
            &serde_json::json!({"ok": true, "key": key.to_base64(), "size": size, "entries": list}),
        );
    } else {
        for (i, d, n, s) in &found {
            let how = match (n, s) {
                (true, true) => "names and signed by the key",
                (true, false) => "names the key",
                _ => "signed by the key",
            };
            say!("entry {i}: {} ({how})", crate::out::shown(d));
        }
        say!(
            "{} of {} entries from {} involve {}",
            found.len(),
            size,
            a.since,
            crate::out::key_text(&key)
        );
    }
    Ok(EXIT_OK)
}

/// `omega note verify`.
fn note_verify(a: &NoteVerifyArgs) -> CmdResult {
    let keys = a
        .keys
        .iter()
        .map(|k| Vkey::parse(k).map_err(|e| e.context("--key")))
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = read_small(&a.file, omega_core::limits::MAX_NOTE_BYTES)?;
    let shown = a.file.display().to_string();
    let parsed = omega_core::note::Note::parse(&bytes).map_err(|e| e.context(&shown));
    let result = parsed.and_then(|n| note::verify(&n, &keys).map_err(|e| e.context(&shown)));
    match result {
        Ok(v) => {
            if a.json {
                let list: Vec<_> = v
                    .iter()
                    .map(|s| serde_json::json!({"name": s.name, "type": s.key_type, "time": s.timestamp}))
                    .collect();
                print_json(&serde_json::json!({"ok": true, "signed_by": list}));
            } else {
                for s in &v {
                    match s.timestamp {
                        Some(t) => say!("{} (cosigned at {t})", crate::out::shown(&s.name)),
                        None => say!("{}", crate::out::shown(&s.name)),
                    }
                }
            }
            Ok(EXIT_OK)
        }
        Err(e) => {
            if a.json {
                print_json(
                    &serde_json::json!({"ok": false, "code": e.code().as_str(), "message": e.message()}),
                );
                Ok(exit_for(e.code()))
            } else {
                Err(Failure::Core(e))
            }
        }
    }
}
