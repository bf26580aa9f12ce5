//! Package checks (DESIGN §3.4): given a package's files, its manifest and signature file, and
//! what the caller pins (a digest, keys and a threshold), produce a report listing every
//! signature verdict and every missing, extra and changed file, and fail with the first
//! problem in the order signatures → files (path order) → digest.
//!
//! Signature verification is planned first and run afterwards, so that a check of many
//! packages at once ([`check_packages`]) verifies all their signatures in one batch.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ed25519::{self, BatchItem};
use crate::error::{fail, ErrorCode, Result};
use crate::hash::blake2b512;
use crate::keys::PublicKey;
use crate::manifest::{Manifest, MANIFEST_PATH, SIGNATURE_PATH};
use crate::signature::{Algorithm, LegacyPolicy, SignatureBlock};
use crate::tree::{FileEntry, TreeDigest, TreeListing};

pub use crate::report::{Problem, Report, SignatureReport};

/// What the caller pins: a content digest, keys with a threshold, or both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pins {
    /// The expected `b2tree:` digest of the files.
    pub digest: Option<TreeDigest>,
    /// Trusted keys; at least `threshold` distinct ones must have signed the manifest.
    pub keys: Vec<PublicKey>,
    /// How many distinct pinned keys must sign (≥ 1 when keys are pinned).
    pub threshold: u32,
    /// Whether legacy (`Ed`) signature blocks may count.
    pub legacy: LegacyPolicy,
}

impl Pins {
    /// The pins a caller gives, with the one defaulting rule every runtime shares: without an
    /// explicit `threshold`, it is 1 when keys are given and 0 otherwise. Whether the pins make
    /// sense (something pinned, threshold in range) is [`Pins::validate`]'s call, at check time.
    pub fn new(
        digest: Option<TreeDigest>,
        keys: Vec<PublicKey>,
        threshold: Option<u32>,
        legacy: LegacyPolicy,
    ) -> Pins {
        let threshold = threshold.unwrap_or(u32::from(!keys.is_empty()));
        Pins {
            digest,
            keys,
            threshold,
            legacy,
        }
    }

    /// [`Pins::new`] from text: a `b2tree:` digest and public keys (`RW…` lines or key-file
    /// texts). A digest or key that does not parse is refused (`MALFORMED`) naming it.
    pub fn from_text<K: AsRef<str>>(
        digest: Option<&str>,
        keys: &[K],
        threshold: Option<u32>,
        legacy: LegacyPolicy,
    ) -> Result<Pins> {
        let digest = digest.map(TreeDigest::parse).transpose()?;
        let keys = keys
            .iter()
            .map(|k| PublicKey::parse(k.as_ref().as_bytes()))
            .collect::<Result<Vec<_>>>()?;
        Ok(Pins::new(digest, keys, threshold, legacy))
    }

    /// Pins a digest only (content pin; no signature needed).
    pub fn digest(digest: TreeDigest) -> Pins {
        Pins::new(Some(digest), Vec::new(), None, LegacyPolicy::Refuse)
    }
    /// Pins keys only, with a threshold.
    pub fn keys(keys: Vec<PublicKey>, threshold: u32) -> Pins {
        Pins::new(None, keys, Some(threshold), LegacyPolicy::Refuse)
    }
}

/// A package as read from a directory, a tarball or memory.
#[derive(Clone, Copy, Debug)]
pub struct PackageInput<'a> {
    /// How messages name the package (its directory or name).
    pub label: &'a str,
    /// The files, `.omega/` excluded.
    pub files: &'a TreeListing,
    /// The bytes of `.omega/manifest.json`, if present.
    pub manifest: Option<&'a [u8]>,
    /// The bytes of `.omega/manifest.json.minisig`, if present.
    pub signatures: Option<&'a [u8]>,
}

/// A planned signature verification: block `block` checked with pinned key `key`.
struct Planned {
    block: usize,
    key: usize,
    signed: Vec<u8>,
    global: Vec<u8>,
}

/// A check whose signature verifications are planned but not run yet.
struct Prepared<'a> {
    input: PackageInput<'a>,
    pins: &'a Pins,
    manifest: Option<Manifest>,
    blocks: Vec<SignatureBlock>,
    block_errors: Vec<Option<ErrorCode>>,
    block_keys: Vec<Option<usize>>,
    planned: Vec<Planned>,
    missing_signatures: bool,
    /// The digest of `input.files` when it is known already (they are the parsed manifest's
    /// own list, whose digest the parse compared with its `tree`).
    tree: Option<TreeDigest>,
}

impl Pins {
    /// Checks that something is pinned and the threshold is sensible, before any work.
    pub fn validate(&self, label: &str) -> Result<()> {
        if self.digest.is_none() && self.keys.is_empty() {
            return fail(
                ErrorCode::KeyNotTrusted,
                format!("{label}: nothing pinned (give a digest or at least one key)"),
            );
        }
        if !self.keys.is_empty()
            && (self.threshold == 0 || self.threshold as usize > self.keys.len())
        {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{label}: threshold {} must be between 1 and the number of pinned keys ({})",
                    self.threshold,
                    self.keys.len()
                ),
            );
        }
        // Keys are compared by their 32 bytes (PublicKey's equality): one key pinned twice
        // under two key ids would let one signature, relabelled, count twice.
        for (i, k) in self.keys.iter().enumerate() {
            if self.keys[..i].contains(k) {
                return fail(
                    ErrorCode::Malformed,
                    format!(
                        "{label}: key {k} (id {}) is pinned twice (keys are compared without their key ids)",
                        k.key_id()
                    ),
                );
            }
        }
        Ok(())
    }
}

fn prepare<'a>(input: PackageInput<'a>, pins: &'a Pins) -> Result<Prepared<'a>> {
    prepare_parsed(input, pins, None)
}

/// [`prepare`] with `input.manifest` already parsed (`parsed`, when given, is
/// `Manifest::parse` of those bytes).
fn prepare_parsed<'a>(
    input: PackageInput<'a>,
    pins: &'a Pins,
    parsed: Option<Manifest>,
) -> Result<Prepared<'a>> {
    let label = input.label;
    pins.validate(label)?;
    let manifest = match (input.manifest, parsed) {
        (Some(_), Some(m)) => Some(m),
        (Some(bytes), None) => Some(
            Manifest::parse(bytes).map_err(|e| e.context(&format!("{label}/{MANIFEST_PATH}")))?,
        ),
        // No manifest while keys are pinned: an unsigned package, a verification failure
        // (THRESHOLD_NOT_MET, reported by `finish`), not an input error.
        (None, _) => None,
    };
    let mut prepared = Prepared {
        input,
        pins,
        manifest,
        blocks: Vec::new(),
        block_errors: Vec::new(),
        block_keys: Vec::new(),
        planned: Vec::new(),
        missing_signatures: false,
        tree: None,
    };
    if pins.keys.is_empty() {
        return Ok(prepared);
    }
    let (Some(manifest_bytes), Some(sig_bytes)) = (input.manifest, input.signatures) else {
        prepared.missing_signatures = true;
        return Ok(prepared);
    };
    prepared.blocks = SignatureBlock::parse_all(sig_bytes, &format!("{label}/{SIGNATURE_PATH}"))?;
    let mut prehash: Option<[u8; 64]> = None;
    for (bi, block) in prepared.blocks.iter().enumerate() {
        let candidates: Vec<usize> = (0..pins.keys.len())
            .filter(|&k| pins.keys[k].key_id() == block.key_id())
            .collect();
        if candidates.is_empty() {
            prepared.block_errors.push(Some(ErrorCode::KeyNotTrusted));
            prepared.block_keys.push(None);
            continue;
        }
        if let Err(e) = block.precheck(&pins.keys[candidates[0]], pins.legacy) {
            prepared.block_errors.push(Some(e.code()));
            prepared.block_keys.push(Some(candidates[0]));
            continue;
        }
        let signed = match block.algorithm() {
            Algorithm::Prehashed => prehash
                .get_or_insert_with(|| blake2b512(manifest_bytes))
                .to_vec(),
            Algorithm::Legacy => manifest_bytes.to_vec(),
        };
        prepared.block_errors.push(None);
        prepared.block_keys.push(Some(candidates[0]));
        for k in candidates {
            prepared.planned.push(Planned {
                block: bi,
                key: k,
                signed: signed.clone(),
                global: block.global_message(),
            });
        }
    }
    Ok(prepared)
}

fn batch_items<'p>(p: &'p Prepared<'_>, out: &mut Vec<BatchItem<'p>>) {
    for plan in &p.planned {
        let block = &p.blocks[plan.block];
        let key = &p.pins.keys[plan.key];
        out.push(BatchItem {
            key,
            message: &plan.signed,
            signature: block.signature_bytes(),
        });
        out.push(BatchItem {
            key,
            message: &plan.global,
            signature: block.global_signature_bytes(),
        });
    }
}

/// The signature part of a check: one verdict per block, the distinct pinned keys that signed,
/// and the signature problems (they come first in a report, and do not depend on the files).
fn signature_verdicts(
    p: &Prepared<'_>,
    package: &str,
    verdicts: &[bool],
) -> (Vec<SignatureReport>, Vec<PublicKey>, Vec<Problem>) {
    let pins = p.pins;
    let mut problems = Vec::new();
    let mut signatures = Vec::new();
    let mut signed_by: Vec<PublicKey> = Vec::new();

    // Signatures: a block is valid when some pinned key with its id verifies both signatures.
    for (bi, block) in p.blocks.iter().enumerate() {
        let mut error = p.block_errors[bi];
        let mut key = p.block_keys[bi].map(|k| pins.keys[k]);
        if error.is_none() {
            error = Some(ErrorCode::SignatureInvalid);
            for (pi, plan) in p
                .planned
                .iter()
                .enumerate()
                .filter(|(_, plan)| plan.block == bi)
            {
                if verdicts[2 * pi] && verdicts[2 * pi + 1] {
                    error = None;
                    key = Some(pins.keys[plan.key]);
                    break;
                }
            }
        }
        if error.is_none() {
            if let Some(k) = key {
                if !signed_by.contains(&k) {
                    signed_by.push(k);
                }
            }
        }
        signatures.push(SignatureReport {
            key_id: block.key_id(),
            key,
            trusted_comment: block.trusted_comment().to_string(),
            error,
        });
    }
    let threshold_met = signed_by.len() >= pins.threshold as usize;
    for s in &signatures {
        let key_text = s.key.map_or_else(
            || format!("key id {}", s.key_id),
            |k| format!("{k} (id {})", s.key_id),
        );
        match s.error {
            Some(ErrorCode::SignatureInvalid) => problems.push(Problem {
                code: ErrorCode::SignatureInvalid,
                path: Some(SIGNATURE_PATH.to_string()),
                key: Some(key_text.clone()),
                message: format!("{package}: signature by {key_text} does not verify"),
            }),
            Some(ErrorCode::LegacySignatureRefused) => problems.push(Problem {
                code: ErrorCode::LegacySignatureRefused,
                path: Some(SIGNATURE_PATH.to_string()),
                key: Some(key_text.clone()),
                message: format!("{package}: signature by {key_text} is a legacy (non-prehashed) signature, which is not allowed"),
            }),
            _ => {}
        }
    }
    if !pins.keys.is_empty() && !threshold_met {
        let untrusted: Vec<&SignatureReport> = signatures
            .iter()
            .filter(|s| s.error == Some(ErrorCode::KeyNotTrusted))
            .collect();
        if p.missing_signatures {
            problems.push(Problem {
                code: ErrorCode::ThresholdNotMet,
                path: Some(SIGNATURE_PATH.to_string()),
                key: None,
                message: format!(
                    "{package}: no {SIGNATURE_PATH}: 0 of {} required signatures",
                    pins.threshold
                ),
            });
        } else if !untrusted.is_empty() && signed_by.is_empty() {
            let ids: Vec<String> = untrusted.iter().map(|s| s.key_id.to_string()).collect();
            problems.push(Problem {
                code: ErrorCode::KeyNotTrusted,
                path: Some(SIGNATURE_PATH.to_string()),
                key: Some(ids.join(", ")),
                message: format!(
                    "{package}: signed only by keys that are not pinned (key id {})",
                    ids.join(", ")
                ),
            });
        } else {
            problems.push(Problem {
                code: ErrorCode::ThresholdNotMet,
                path: Some(SIGNATURE_PATH.to_string()),
                key: None,
                message: format!(
                    "{package}: {} of {} required distinct pinned keys signed",
                    signed_by.len(),
                    pins.threshold
                ),
            });
        }
    }
    (signatures, signed_by, problems)
}

fn finish(mut p: Prepared<'_>, verdicts: &[bool]) -> Report {
    let label = p.input.label;
    let pins = p.pins;
    let package = p
        .manifest
        .as_ref()
        .map_or_else(|| label.to_string(), |m| m.name.clone());
    let tree = p.tree.unwrap_or_else(|| p.input.files.digest());
    let (signatures, signed_by, mut problems) = signature_verdicts(&p, &package, verdicts);

    // Files, in path order.
    if let Some(m) = &p.manifest {
        problems.extend(compare_files(&package, &m.files, p.input.files.entries()));
    }
    // Digest.
    if let Some(pin) = pins.digest {
        let manifest_matches_files = problems.iter().all(|pr| {
            !matches!(
                pr.code,
                ErrorCode::FileChanged | ErrorCode::FileMissing | ErrorCode::FileExtra
            )
        });
        if pin != tree && manifest_matches_files {
            problems.push(Problem {
                code: ErrorCode::DigestMismatch,
                path: None,
                key: None,
                message: format!("{package}: files hash to {tree}, but {pin} is pinned"),
            });
        }
    }
    let manifest = p.manifest.take();
    Report {
        package,
        version: manifest.as_ref().map(|m| m.version.clone()),
        sequence: manifest.as_ref().map(|m| m.sequence),
        tree,
        manifest_tree: manifest.as_ref().map(|m| m.tree),
        pinned_digest: pins.digest,
        threshold: if pins.keys.is_empty() {
            0
        } else {
            pins.threshold
        },
        signed_by,
        signatures,
        files: p.input.files.entries().len(),
        problems,
    }
}

/// A problem with the file `path` of `package`, worded as every report words it: `what` is
/// "is missing", "is not listed in the manifest", "has changed contents" or "changed kind (…)".
pub fn file_problem(package: &str, code: ErrorCode, path: &str, what: &str) -> Problem {
    Problem {
        code,
        path: Some(path.to_string()),
        key: None,
        message: format!("{package}: file {path:?} {what}"),
    }
}

/// Compares the manifest's file list with the files found; both sorted by path. Returns one
/// problem per missing, extra or changed file, in path order.
pub fn compare_files(package: &str, expected: &[FileEntry], actual: &[FileEntry]) -> Vec<Problem> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let prob = |code, path: &str, what: &str| file_problem(package, code, path, what);
    while i < expected.len() || j < actual.len() {
        let ord = match (expected.get(i), actual.get(j)) {
            (Some(e), Some(a)) => e.path.as_bytes().cmp(a.path.as_bytes()),
            (Some(_), None) => core::cmp::Ordering::Less,
            _ => core::cmp::Ordering::Greater,
        };
        match ord {
            core::cmp::Ordering::Less => {
                out.push(prob(
                    ErrorCode::FileMissing,
                    &expected[i].path,
                    "is missing",
                ));
                i += 1;
            }
            core::cmp::Ordering::Greater => {
                out.push(prob(
                    ErrorCode::FileExtra,
                    &actual[j].path,
                    "is not listed in the manifest",
                ));
                j += 1;
            }
            core::cmp::Ordering::Equal => {
                let (e, a) = (&expected[i], &actual[j]);
                if e.hash != a.hash || e.size != a.size {
                    out.push(prob(
                        ErrorCode::FileChanged,
                        &e.path,
                        "has changed contents",
                    ));
                } else if e.kind != a.kind {
                    out.push(prob(
                        ErrorCode::FileChanged,
                        &e.path,
                        &format!(
                            "changed kind (expected {}, found {})",
                            e.kind.as_str(),
                            a.kind.as_str()
                        ),
                    ));
                }
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Checks one package against `pins`. `Ok(report)` when everything holds; otherwise the error
/// of the first problem, carrying the report. Unparseable input fails without a report.
pub fn check_package(input: PackageInput<'_>, pins: &Pins) -> Result<Report> {
    let p = prepare(input, pins)?;
    let verdicts = verify_planned(&p);
    finish(p, &verdicts).into_result()
}

/// [`check_package`] of a signed package's manifest against its own file list (a loader's
/// files-mode table): `manifest` is `Manifest::parse` of `input.manifest` (not parsed again) and
/// `input.files` is its list, whose digest the parse compared with the manifest's `tree` (not
/// computed again).
pub(crate) fn check_manifest_listing(
    input: PackageInput<'_>,
    pins: &Pins,
    manifest: Manifest,
) -> Result<Report> {
    let tree = manifest.tree;
    let mut p = prepare_parsed(input, pins, Some(manifest))?;
    p.tree = Some(tree);
    let verdicts = verify_planned(&p);
    finish(p, &verdicts).into_result()
}

/// Runs the planned signature verifications one by one (two per plan: signature, global).
fn verify_planned(p: &Prepared<'_>) -> Vec<bool> {
    p.planned
        .iter()
        .flat_map(|plan| {
            let block = &p.blocks[plan.block];
            let key = &p.pins.keys[plan.key];
            [
                ed25519::verify_strict(key, &plan.signed, block.signature_bytes()),
                ed25519::verify_strict(key, &plan.global, block.global_signature_bytes()),
            ]
        })
        .collect()
}

/// The first signature problem of checking `input` against `pins`, or `None` when the
/// signatures satisfy the pins. Signature problems come before any file problem in a report
/// (DESIGN §3.4) and do not depend on the files, so a verdict-only check asks this before it
/// opens a single file (`input.files` is not looked at). Unparseable input and bad pins are
/// errors, as in [`check_package`].
pub fn first_signature_problem(input: PackageInput<'_>, pins: &Pins) -> Result<Option<Problem>> {
    let p = prepare(input, pins)?;
    let verdicts = verify_planned(&p);
    let package = p
        .manifest
        .as_ref()
        .map_or_else(|| input.label.to_string(), |m| m.name.clone());
    let (_, _, problems) = signature_verdicts(&p, &package, &verdicts);
    Ok(problems.into_iter().next())
}

/// Checks many packages, verifying all their signatures in one batch (same verdicts as
/// [`check_package`] on each, faster). One result per input, in order.
pub fn check_packages(inputs: &[(PackageInput<'_>, &Pins)]) -> Vec<Result<Report>> {
    let prepared: Vec<Result<Prepared<'_>>> = inputs.iter().map(|(i, p)| prepare(*i, p)).collect();
    let mut items = Vec::new();
    let mut spans = Vec::with_capacity(prepared.len());
    for p in &prepared {
        let start = items.len();
        if let Ok(p) = p {
            batch_items(p, &mut items);
        }
        spans.push(start..items.len());
    }
    let verdicts = ed25519::verify_batch_strict(&items);
    drop(items);
    prepared
        .into_iter()
        .zip(spans)
        .map(|(p, span)| p.and_then(|p| finish(p, &verdicts[span]).into_result()))
        .collect()
}

/// A package held in memory (a tarball's entries, files fetched by a browser, test vectors):
/// `.omega/manifest.json` and its signature file are split out, every other file of the
/// top-level `.omega/` is ignored, the rest forms the tree.
#[derive(Clone, Debug)]
pub struct MemoryPackage {
    /// The files, `.omega/` excluded.
    pub listing: TreeListing,
    /// `.omega/manifest.json`, if present.
    pub manifest: Option<Vec<u8>>,
    /// `.omega/manifest.json.minisig`, if present.
    pub signatures: Option<Vec<u8>>,
}

impl MemoryPackage {
    /// Builds the package from `(path, executable, contents)` triples in any order.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, bool, &'a [u8])>,
    ) -> Result<MemoryPackage> {
        use crate::limits::{MAX_FILES, MAX_MANIFEST_BYTES, MAX_SIGNATURE_FILE_BYTES};
        use crate::tree::{is_metadata_path, FileKind, RelPath};
        let mut entries = Vec::new();
        let (mut manifest, mut signatures) = (None, None);
        for (path, executable, data) in files {
            if entries.len() >= MAX_FILES {
                return fail(
                    ErrorCode::TooLarge,
                    format!("package has more than {MAX_FILES} files"),
                );
            }
            if is_metadata_path(path) {
                let (slot, limit) = match path {
                    MANIFEST_PATH => (&mut manifest, MAX_MANIFEST_BYTES),
                    SIGNATURE_PATH => (&mut signatures, MAX_SIGNATURE_FILE_BYTES),
                    _ => continue,
                };
                if data.len() > limit {
                    return fail(
                        ErrorCode::TooLarge,
                        format!("{path}: larger than {limit} bytes"),
                    );
                }
                if slot.replace(data.to_vec()).is_some() {
                    return fail(
                        ErrorCode::UnsafePath,
                        format!("path {path:?}: listed twice"),
                    );
                }
                continue;
            }
            let kind = if executable {
                FileKind::Executable
            } else {
                FileKind::Regular
            };
            entries.push(FileEntry::from_contents(RelPath::new(path)?, kind, data));
        }
        Ok(MemoryPackage {
            listing: TreeListing::new(entries)?,
            manifest,
            signatures,
        })
    }

    /// The check input for this package, named `label` in messages.
    pub fn input<'a>(&'a self, label: &'a str) -> PackageInput<'a> {
        PackageInput {
            label,
            files: &self.listing,
            manifest: self.manifest.as_deref(),
            signatures: self.signatures.as_deref(),
        }
    }
}
