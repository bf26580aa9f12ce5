//! Client trust policies (a subset of C2SP `tlog-policy`: `log`, `witness`, `group`, `quorum`
//! lines) and the checkpoint evaluator of REGISTRY.md R6 step 1: the log signature by a policy
//! log key named like the checkpoint's origin, the witness quorum over the cosignatures that
//! verify, and freshness of the quorum's timestamps against a caller-given `now`.
//!
//! Grammar (tlog-policy): one statement a line; items separated by runs of spaces and tabs;
//! leading and trailing whitespace allowed; empty lines and lines whose first item starts
//! with `#` are ignored; only tab, LF, 0x20–0x7E and non-ASCII bytes are allowed; names are
//! opaque byte strings (case-sensitive) in one namespace shared by witnesses and groups.
//! - `log <vkey> [<url>]`: an Ed25519 (type 0x01) log key. At least one (Ωpm needs its log
//!   key; tlog-policy allows none). No two logs with the same public key.
//! - `witness <name> <vkey> [<url>]`: a cosignature/v1 (type 0x04) key. No two witnesses
//!   with the same public key, and (Ωpm) no witness with a log's public key: a log that
//!   cosigns itself witnesses nothing.
//! - `group <name> <k|all|any> <member>...`: at least one member; 1 ≤ k ≤ n, k in decimal
//!   without leading zeros (`any` = 1, `all` = n); members are witnesses or groups defined on
//!   EARLIER lines (which rules out cycles); a name is a member at most once in the whole
//!   policy (tlog-policy: each witness contributes to the quorum in only one way).
//! - `quorum <name|none>`: exactly one, naming an earlier witness or group, or `none`.
//!
//! Unknown statements, extra items, duplicate or undefined names and the reserved name `none`
//! as a witness, group or member are `MALFORMED`; over [`MAX_POLICY_BYTES`] is `TOO_LARGE`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::checkpoint::{parse_decimal, Checkpoint};
use crate::error::{fail, Error, ErrorCode, Result};
use crate::json::Value;
use crate::limits::MAX_POLICY_BYTES;
use crate::note::{self, Note};
use crate::report::{json_object, KeyStyle};
use crate::vkey::{Vkey, TYPE_COSIGNATURE_V1, TYPE_ED25519};

/// How far in the future (seconds after `now`) a cosignature time may be and still count as
/// fresh: clocks disagree a little.
pub const MAX_CLOCK_SKEW_SECONDS: u64 = 300;

/// A log of the policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyLog {
    /// The log's Ed25519 verifier key; its name is the log's origin.
    pub key: Vkey,
    /// The optional URL after the key.
    pub url: Option<String>,
}

/// A witness of the policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyWitness {
    /// The witness's name in this policy (not its key name).
    pub name: String,
    /// Its cosignature/v1 verifier key.
    pub key: Vkey,
    /// The optional URL after the key.
    pub url: Option<String>,
}

/// A member of a group, or the quorum: a witness or a group, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member {
    /// `witnesses()[i]`.
    Witness(usize),
    /// `groups()[i]`.
    Group(usize),
}

/// A witness group: satisfied when at least `threshold` of its members are.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyGroup {
    /// The group's name.
    pub name: String,
    /// k: how many members must be satisfied (1 ≤ k ≤ members).
    pub threshold: usize,
    /// The members, in order; each refers to an earlier definition.
    pub members: Vec<Member>,
}

/// A parsed client policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Policy {
    logs: Vec<PolicyLog>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<PolicyGroup>,
    quorum: Option<Member>,
}

/// How fresh a verified checkpoint is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Freshness {
    /// `now` was given and the quorum is met by cosignatures made within `max_age` before
    /// `now` (and at most [`MAX_CLOCK_SKEW_SECONDS`] after). `as_of` is the latest time T such
    /// that the quorum is met by such cosignatures made at or after T: the checkpoint was the
    /// log's latest, as the quorum saw it, at T.
    Fresh {
        /// The quorum's time (Unix seconds).
        as_of: u64,
    },
    /// `quorum none`: no cosignature vouches for a time. Freshness rests on the index note's
    /// `expires` alone, and the client must say so.
    NotWitnessed,
    /// `now` was not given (offline): freshness was not checked.
    NotChecked,
}

/// A checkpoint that passed [`Policy::verify_checkpoint`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VerifiedCheckpoint {
    /// The parsed checkpoint.
    pub checkpoint: Checkpoint,
    /// The whole signed note as given (text and every signature line), e.g. for the lock.
    pub note_text: String,
    /// The vkey text of the log key that signed it.
    pub log_key: String,
    /// The policy witnesses whose cosignature verified, with their times, in policy order.
    pub witnesses: Vec<(String, u64)>,
    /// The freshness verdict.
    pub freshness: Freshness,
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

impl Policy {
    /// Parses a policy text (grammar in the module documentation). A missing final newline
    /// is accepted.
    pub fn parse(text: &str) -> Result<Policy> {
        if text.len() > MAX_POLICY_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!("policy: larger than {MAX_POLICY_BYTES} bytes"),
            );
        }
        if let Some(at) = text
            .bytes()
            .position(|b| b == 0x7f || (b < 0x20 && b != b'\t' && b != b'\n'))
        {
            return fail(
                ErrorCode::Malformed,
                format!("policy: control character at byte {at}"),
            );
        }
        let mut p = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut have_quorum = false;
        let mut used_as_member: Vec<Member> = Vec::new();
        for (i, line) in text.split('\n').enumerate() {
            let n = i + 1;
            let bad =
                |why: String| Error::new(ErrorCode::Malformed, format!("policy line {n}: {why}"));
            let items: Vec<&str> = line.split(is_space).filter(|s| !s.is_empty()).collect();
            let Some((&keyword, args)) = items.split_first() else {
                continue;
            };
            if keyword.starts_with('#') {
                continue;
            }
            match keyword {
                "log" => {
                    let (key, url) = match args {
                        [k] => (k, None),
                        [k, u] => (k, Some(String::from(*u))),
                        _ => return Err(bad("expected `log <vkey> [<url>]`".into())),
                    };
                    let key =
                        Vkey::parse(key).map_err(|e| e.context(&format!("policy line {n}")))?;
                    if key.key_type() != TYPE_ED25519 {
                        return Err(bad(format!(
                            "log key {} is not an Ed25519 (type 0x01) key",
                            key.name()
                        )));
                    }
                    if p.logs.iter().any(|l| l.key.key() == key.key()) {
                        return Err(bad(format!("log key {} is listed twice", key.name())));
                    }
                    p.check_distinct_id(&key).map_err(&bad)?;
                    p.logs.push(PolicyLog { key, url });
                }
                "witness" => {
                    let (name, key, url) = match args {
                        [name, k] => (name, k, None),
                        [name, k, u] => (name, k, Some(String::from(*u))),
                        _ => return Err(bad("expected `witness <name> <vkey> [<url>]`".into())),
                    };
                    p.check_new_name(name).map_err(&bad)?;
                    let key =
                        Vkey::parse(key).map_err(|e| e.context(&format!("policy line {n}")))?;
                    if key.key_type() != TYPE_COSIGNATURE_V1 {
                        return Err(bad(format!(
                            "witness {name}: key is not a cosignature/v1 (type 0x04) key"
                        )));
                    }
                    if p.witnesses.iter().any(|w| w.key.key() == key.key()) {
                        return Err(bad(format!(
                            "witness {name}: the same public key as another witness"
                        )));
                    }
                    p.check_distinct_id(&key).map_err(&bad)?;
                    p.witnesses.push(PolicyWitness {
                        name: String::from(*name),
                        key,
                        url,
                    });
                }
                "group" => {
                    let [name, k, members @ ..] = args else {
                        return Err(bad("expected `group <name> <k|all|any> <member>...`".into()));
                    };
                    p.check_new_name(name).map_err(&bad)?;
                    if members.is_empty() {
                        return Err(bad(format!("group {name}: no members")));
                    }
                    let count = members.len();
                    let threshold = match *k {
                        "all" => count,
                        "any" => 1,
                        k => {
                            let v = parse_decimal(
                                k,
                                &format!("policy line {n}: group {name} threshold"),
                            )?;
                            usize::try_from(v).unwrap_or(usize::MAX)
                        }
                    };
                    if threshold == 0 || threshold > count {
                        return Err(bad(format!(
                            "group {name}: threshold {k} is not between 1 and its {count} members"
                        )));
                    }
                    let mut resolved = Vec::with_capacity(count);
                    for m in members.iter() {
                        let member = p
                            .lookup(m)
                            .ok_or_else(|| bad(format!("group {name}: member {m} is not a witness or group defined on an earlier line")))?;
                        if used_as_member.contains(&member) {
                            return Err(bad(format!(
                                "group {name}: {m} is already a member of a group"
                            )));
                        }
                        used_as_member.push(member);
                        resolved.push(member);
                    }
                    p.groups.push(PolicyGroup {
                        name: String::from(*name),
                        threshold,
                        members: resolved,
                    });
                }
                "quorum" => {
                    let [name] = args else {
                        return Err(bad("expected `quorum <name|none>`".into()));
                    };
                    if have_quorum {
                        return Err(bad("a second quorum line".into()));
                    }
                    have_quorum = true;
                    if *name != "none" {
                        p.quorum = Some(p.lookup(name).ok_or_else(|| {
                            bad(format!(
                                "quorum {name}: not a witness or group defined on an earlier line"
                            ))
                        })?);
                    }
                }
                other => return Err(bad(format!("unknown statement {other:?}"))),
            }
        }
        if !have_quorum {
            return fail(ErrorCode::Malformed, "policy: no quorum line");
        }
        if p.logs.is_empty() {
            return fail(ErrorCode::Malformed, "policy: no log line");
        }
        if let Some(w) = p
            .witnesses
            .iter()
            .find(|w| p.logs.iter().any(|l| l.key.key() == w.key.key()))
        {
            return fail(
                ErrorCode::Malformed,
                format!("policy: witness {} has the public key of a log", w.name),
            );
        }
        Ok(p)
    }

    fn lookup(&self, name: &str) -> Option<Member> {
        if let Some(i) = self.witnesses.iter().position(|w| w.name == name) {
            return Some(Member::Witness(i));
        }
        self.groups
            .iter()
            .position(|g| g.name == name)
            .map(Member::Group)
    }

    /// A signature line names its key by (name, key ID) only: two policy keys sharing both
    /// (a 4-byte ID collision, which a witness can search for against another's key) would
    /// make every line naming them ambiguous, so every checkpoint carrying it `MALFORMED`.
    /// Refused when the policy is read instead.
    fn check_distinct_id(&self, key: &Vkey) -> core::result::Result<(), String> {
        let clash = self
            .logs
            .iter()
            .map(|l| &l.key)
            .chain(self.witnesses.iter().map(|w| &w.key))
            .any(|k| k.name() == key.name() && k.id() == key.id());
        if clash {
            return Err(format!(
                "key {}+{} has the name and key ID of another key of the policy (signature lines could not tell them apart)",
                key.name(),
                crate::hash::to_hex(&key.id())
            ));
        }
        Ok(())
    }

    fn check_new_name(&self, name: &str) -> core::result::Result<(), String> {
        if name == "none" {
            return Err("the name `none` is reserved".into());
        }
        if self.lookup(name).is_some() {
            return Err(format!("the name {name} is already defined"));
        }
        Ok(())
    }

    /// The logs.
    pub fn logs(&self) -> &[PolicyLog] {
        &self.logs
    }
    /// The witnesses, in definition order.
    pub fn witnesses(&self) -> &[PolicyWitness] {
        &self.witnesses
    }
    /// The groups, in definition order.
    pub fn groups(&self) -> &[PolicyGroup] {
        &self.groups
    }
    /// The quorum; `None` for `quorum none`.
    pub fn quorum(&self) -> Option<Member> {
        self.quorum
    }

    fn member_name(&self, m: Member) -> &str {
        match m {
            Member::Witness(i) => self.witnesses.get(i).map_or("?", |w| w.name.as_str()),
            Member::Group(i) => self.groups.get(i).map_or("?", |g| g.name.as_str()),
        }
    }

    /// The policy text: logs, witnesses, groups (in definition order, thresholds in decimal),
    /// quorum. [`Policy::parse`] of it gives an equal policy.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let url = |u: &Option<String>| u.as_ref().map(|u| format!(" {u}")).unwrap_or_default();
        for l in &self.logs {
            out.push_str(&format!("log {}{}\n", l.key, url(&l.url)));
        }
        for w in &self.witnesses {
            out.push_str(&format!("witness {} {}{}\n", w.name, w.key, url(&w.url)));
        }
        for g in &self.groups {
            out.push_str(&format!("group {} {}", g.name, g.threshold));
            for &m in &g.members {
                out.push(' ');
                out.push_str(self.member_name(m));
            }
            out.push('\n');
        }
        let q = self.quorum.map_or("none", |m| self.member_name(m));
        out.push_str(&format!("quorum {q}\n"));
        out
    }

    /// Whether the quorum is met when the witnesses marked `true` count.
    pub fn quorum_met(&self, cosigned: &[bool]) -> bool {
        let counts = |m: &Member, sat: &[bool]| match *m {
            Member::Witness(i) => cosigned.get(i).copied().unwrap_or(false),
            Member::Group(i) => sat.get(i).copied().unwrap_or(false),
        };
        let mut sat = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let n = g.members.iter().filter(|m| counts(m, &sat)).count();
            sat.push(n >= g.threshold);
        }
        match self.quorum {
            None => true,
            Some(m) => counts(&m, &sat),
        }
    }

    /// Verifies a signed checkpoint (REGISTRY.md R6 step 1):
    /// 1. the note parses (`MALFORMED`, `TOO_LARGE`) and its text is a checkpoint;
    /// 2. a policy log key is named like the checkpoint's origin (else `KEY_NOT_TRUSTED`: the
    ///    checkpoint is another log's); every line of a policy key (log or witness) verifies
    ///    (else `SIGNATURE_INVALID` naming the key); the log key signed (else
    ///    `QUORUM_NOT_MET`: the log signature is missing);
    /// 3. the quorum is met by the witnesses whose cosignature verified (else
    ///    `QUORUM_NOT_MET`, naming who cosigned);
    /// 4. with `now = Some(t)` and a quorum other than `none`: the quorum is met using only
    ///    cosignatures whose time lies in `[t - max_age, t + 300]` (else `STALE`, naming each
    ///    witness's time relative to `t`). `quorum none` gives [`Freshness::NotWitnessed`],
    ///    `now = None` (offline) [`Freshness::NotChecked`].
    pub fn verify_checkpoint(
        &self,
        note_bytes: &[u8],
        now: Option<u64>,
        max_age: u64,
    ) -> Result<VerifiedCheckpoint> {
        let note = Note::parse(note_bytes).map_err(|e| e.context("checkpoint"))?;
        let checkpoint = Checkpoint::parse(note.text())?;
        let origin = checkpoint.origin.as_str();
        if !self.logs.iter().any(|l| l.key.name() == origin) {
            let names: Vec<&str> = self.logs.iter().map(|l| l.key.name()).collect();
            return fail(
                ErrorCode::KeyNotTrusted,
                format!(
                    "checkpoint of {origin}: the policy has no log key named {origin} (its logs: {})",
                    names.join(", ")
                ),
            );
        }
        let keys: Vec<Vkey> = self
            .logs
            .iter()
            .map(|l| l.key.clone())
            .chain(self.witnesses.iter().map(|w| w.key.clone()))
            .collect();
        let verified = match note::verify(&note, &keys) {
            Ok(v) => v,
            Err(e) if e.code() == ErrorCode::KeyNotTrusted => Vec::new(),
            Err(e) => return Err(e.context(&format!("checkpoint of {origin}"))),
        };
        let log = self.logs.iter().find(|l| {
            l.key.name() == origin
                && verified
                    .iter()
                    .any(|v| v.name == l.key.name() && v.key_id == l.key.id())
        });
        let Some(log) = log else {
            return fail(
                ErrorCode::QuorumNotMet,
                format!("checkpoint of {origin}: not signed by the policy's log key {origin}"),
            );
        };
        let times: Vec<Option<u64>> = self
            .witnesses
            .iter()
            .map(|w| {
                verified
                    .iter()
                    .find(|v| v.name == w.key.name() && v.key_id == w.key.id())
                    .and_then(|v| v.timestamp)
            })
            .collect();
        let cosigned: Vec<bool> = times.iter().map(Option::is_some).collect();
        let witnesses: Vec<(String, u64)> = self
            .witnesses
            .iter()
            .zip(&times)
            .filter_map(|(w, t)| t.map(|t| (w.name.clone(), t)))
            .collect();
        let quorum_name = self.quorum.map_or("none", |m| self.member_name(m));
        if !self.quorum_met(&cosigned) {
            let who: Vec<&str> = witnesses.iter().map(|(n, _)| n.as_str()).collect();
            return fail(
                ErrorCode::QuorumNotMet,
                format!(
                    "checkpoint of {origin} at size {}: quorum {quorum_name} not met (cosigned by: {})",
                    checkpoint.size,
                    if who.is_empty() { "no policy witness".into() } else { who.join(", ") }
                ),
            );
        }
        let freshness = match (now, self.quorum) {
            (None, _) => Freshness::NotChecked,
            (Some(_), None) => Freshness::NotWitnessed,
            (Some(now), Some(_)) => self.freshness(&times, now, max_age).map_err(|why| {
                Error::new(
                    ErrorCode::Stale,
                    format!(
                        "checkpoint of {origin} at size {}: quorum {quorum_name} has no cosignatures within {max_age} s of now ({why})",
                        checkpoint.size
                    ),
                )
            })?,
        };
        Ok(VerifiedCheckpoint {
            checkpoint,
            note_text: note.to_text(),
            log_key: alloc::string::ToString::to_string(&log.key),
            witnesses,
            freshness,
        })
    }

    /// The freshness verdict for a met quorum, or why the quorum is not met by fresh
    /// cosignatures.
    fn freshness(
        &self,
        times: &[Option<u64>],
        now: u64,
        max_age: u64,
    ) -> core::result::Result<Freshness, String> {
        let lo = now.saturating_sub(max_age);
        let hi = now.saturating_add(MAX_CLOCK_SKEW_SECONDS);
        let within = |from: u64| -> Vec<bool> {
            times
                .iter()
                .map(|t| matches!(t, Some(t) if *t >= from && *t <= hi))
                .collect()
        };
        if !self.quorum_met(&within(lo)) {
            let mut why = Vec::new();
            for (w, t) in self.witnesses.iter().zip(times) {
                if let Some(t) = *t {
                    let rel = if t > now {
                        format!("{} s in the future", t - now)
                    } else {
                        format!("{} s old", now - t)
                    };
                    why.push(format!("{} cosigned at {t}, {rel}", w.name));
                }
            }
            return Err(why.join("; "));
        }
        // The latest T with the quorum met by cosignatures in [T, hi]: try each fresh time,
        // newest first.
        let mut candidates: Vec<u64> = times
            .iter()
            .filter_map(|t| *t)
            .filter(|t| *t >= lo && *t <= hi)
            .collect();
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.dedup();
        let as_of = candidates
            .into_iter()
            .find(|&t| self.quorum_met(&within(t)))
            .unwrap_or(lo);
        Ok(Freshness::Fresh { as_of })
    }
}

impl Freshness {
    /// The verdict as JSON: `{state: "fresh" | "not_witnessed" | "not_checked", asOf}` (`as_of`
    /// in [`KeyStyle::Snake`]), `asOf` the quorum's time or null.
    pub fn to_json(&self, style: KeyStyle) -> Value<'static> {
        let (state, as_of) = match self {
            Freshness::Fresh { as_of } => ("fresh", Value::from(*as_of)),
            Freshness::NotWitnessed => ("not_witnessed", Value::Null),
            Freshness::NotChecked => ("not_checked", Value::Null),
        };
        json_object(alloc::vec![
            ("state", Value::from(state)),
            (style.key("asOf", "as_of"), as_of),
        ])
    }
}

impl VerifiedCheckpoint {
    /// The verified checkpoint as JSON, the shape of every binding's `verifyCheckpoint`:
    /// `origin`, `size`, `root` (hex), `extensions`, `witnesses` (`[{name, time}]`),
    /// `freshness` ([`Freshness::to_json`]), `logKey`, `note` (the whole signed note).
    pub fn to_json(&self, style: KeyStyle) -> Value<'_> {
        let witnesses = self
            .witnesses
            .iter()
            .map(|(n, t)| {
                json_object(alloc::vec![
                    ("name", Value::from(n.as_str())),
                    ("time", Value::from(*t))
                ])
            })
            .collect();
        json_object(alloc::vec![
            ("origin", Value::from(self.checkpoint.origin.as_str())),
            ("size", Value::from(self.checkpoint.size)),
            (
                "root",
                Value::from(crate::hash::to_hex(&self.checkpoint.root))
            ),
            (
                "extensions",
                Value::Array(
                    self.checkpoint
                        .extensions
                        .iter()
                        .map(|e| Value::from(e.as_str()))
                        .collect()
                )
            ),
            ("witnesses", Value::Array(witnesses)),
            ("freshness", self.freshness.to_json(style)),
            (
                style.key("logKey", "log_key"),
                Value::from(self.log_key.as_str())
            ),
            ("note", Value::from(self.note_text.as_str())),
        ])
    }
}
