//! Runs the project's cross-language vectors (`tests/vectors/*.json`) against omega-core.
//! Every binding runs the same files; this is the reference runner. A missing file fails.

use omega_core::check::{check_package, MemoryPackage, Pins};
use omega_core::lock::{admit, apply_revocation, Candidate, LockEntry, Lockfile, Release};
use omega_core::manifest::Manifest;
use omega_core::signature::{verify_detached, LegacyPolicy, SignatureBlock};
use omega_core::{ErrorCode, PublicKey, TreeDigest};
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases = doc["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no cases"))
        .clone();
    assert!(!cases.is_empty(), "{path}: empty");
    cases
}

struct Files(Vec<(String, bool, Vec<u8>)>);

fn files(v: &Value) -> Files {
    Files(
        v.as_array()
            .expect("files")
            .iter()
            .map(|f| {
                let data = match (f.get("text"), f.get("hex")) {
                    (Some(t), None) => t.as_str().expect("text").as_bytes().to_vec(),
                    (None, Some(h)) => {
                        omega_core::hash::parse_hex(h.as_str().expect("hex")).expect("hex")
                    }
                    _ => panic!("file needs text or hex: {f}"),
                };
                (
                    f["path"].as_str().expect("path").to_string(),
                    f["executable"].as_bool().expect("executable"),
                    data,
                )
            })
            .collect(),
    )
}

impl Files {
    fn package(&self) -> omega_core::Result<MemoryPackage> {
        MemoryPackage::from_files(
            self.0
                .iter()
                .map(|(p, x, d)| (p.as_str(), *x, d.as_slice())),
        )
    }
}

fn code(v: &Value) -> Option<ErrorCode> {
    v.get("error")
        .map(|c| ErrorCode::from_code(c.as_str().expect("code")).expect("known code"))
}

fn want_code_str(c: ErrorCode) -> Value {
    Value::String(c.as_str().to_string())
}

fn keys(v: &Value) -> Vec<PublicKey> {
    v.as_array()
        .expect("keys")
        .iter()
        .map(|k| PublicKey::from_base64(k.as_str().expect("key")).expect("key"))
        .collect()
}

fn entry(v: &Value) -> LockEntry {
    // Keyed by the package name of its install path (a lock entry's path is an install folder
    // of its key).
    let path = v["path"].as_str().expect("path");
    let key = omega_core::lock::package_name_of_key(path).expect("name");
    let doc = serde_json::json!({"omega-lock": 1, "packages": {key: v}});
    Lockfile::parse(doc.to_string().as_bytes())
        .expect("entry")
        .packages
        .remove(key)
        .expect("key")
}

#[test]
fn tree_vectors() {
    let cases = load("tree.json");
    for c in &cases {
        let name = c["name"].as_str().expect("name");
        let got = files(&c["files"]).package();
        match code(&c["expect"]) {
            Some(want) => assert_eq!(got.err().map(|e| e.code()), Some(want), "{name}"),
            None => {
                let pkg = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    pkg.listing.digest().to_string(),
                    c["expect"]["digest"].as_str().expect("digest"),
                    "{name}"
                );
                assert_eq!(
                    pkg.listing.listing_text(),
                    c["expect"]["listing"].as_str().expect("listing"),
                    "{name}"
                );
            }
        }
    }
    assert_eq!(cases.len(), 20);
}

#[test]
fn minisign_vectors() {
    let cases = load("minisign.json");
    for c in &cases {
        let name = c["name"].as_str().expect("name");
        let msg =
            omega_core::hash::parse_hex(c["message_hex"].as_str().expect("msg")).expect("hex");
        let legacy = if c["legacy"].as_bool().expect("legacy") {
            LegacyPolicy::Allow
        } else {
            LegacyPolicy::Refuse
        };
        let got =
            PublicKey::parse(c["public_key"].as_str().expect("pk").as_bytes()).and_then(|k| {
                verify_detached(
                    &k,
                    &msg,
                    c["signature"].as_str().expect("sig").as_bytes(),
                    legacy,
                )
            });
        match code(&c["expect"]) {
            Some(want) => assert_eq!(got.err().map(|e| e.code()), Some(want), "{name}"),
            None => assert_eq!(
                got.unwrap_or_else(|e| panic!("{name}: {e}")),
                c["expect"]["trusted_comment"].as_str().expect("tc"),
                "{name}"
            ),
        }
    }
    assert_eq!(cases.len(), 22);
}

#[test]
fn manifest_vectors() {
    let cases = load("manifest.json");
    for c in &cases {
        let name = c["name"].as_str().expect("name");
        let text = c["manifest"].as_str().expect("manifest");
        let got = Manifest::parse(text.as_bytes());
        match code(&c["expect"]) {
            Some(want) => assert_eq!(got.err().map(|e| e.code()), Some(want), "{name}"),
            None => {
                let m = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(m.to_json_bytes(), text.as_bytes(), "{name}: not canonical");
                assert_eq!(
                    m.tree.to_string(),
                    c["expect"]["tree"].as_str().expect("tree")
                );
                assert_eq!(
                    m.files.len() as u64,
                    c["expect"]["files"].as_u64().expect("files")
                );
            }
        }
    }
    assert_eq!(cases.len(), 22);
}

#[test]
fn package_vectors() {
    let cases = load("package.json");
    for c in &cases {
        let name = c["name"].as_str().expect("name");
        let pkg = files(&c["files"])
            .package()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let p = &c["pins"];
        let pins = Pins {
            digest: p["digest"]
                .as_str()
                .map(|d| TreeDigest::parse(d).expect("digest")),
            keys: keys(&p["keys"]),
            threshold: p["threshold"].as_u64().expect("threshold") as u32,
            legacy: if p["legacy"].as_bool().expect("legacy") {
                LegacyPolicy::Allow
            } else {
                LegacyPolicy::Refuse
            },
        };
        let got = check_package(pkg.input("left-pad"), &pins);
        match code(&c["expect"]) {
            Some(want) => {
                let e = got.expect_err(name);
                assert_eq!(e.code(), want, "{name}: {e}");
                let report = e
                    .report()
                    .unwrap_or_else(|| panic!("{name}: error without report"));
                let problems: Vec<(String, Option<String>)> = report
                    .problems
                    .iter()
                    .map(|p| (p.code.as_str().to_string(), p.path.clone()))
                    .collect();
                let want: Vec<(String, Option<String>)> = c["expect"]["problems"]
                    .as_array()
                    .expect("problems")
                    .iter()
                    .map(|p| {
                        (
                            p["code"].as_str().expect("code").to_string(),
                            p["path"].as_str().map(str::to_string),
                        )
                    })
                    .collect();
                assert_eq!(problems, want, "{name}");
                // The shared JSON shape carries the same verdict.
                let j = sj(&e.to_json());
                assert_eq!(j["ok"], false, "{name}");
                assert_eq!(j["code"], want_code_str(e.code()), "{name}");
                assert_eq!(
                    j["problems"].as_array().map(Vec::len),
                    Some(want.len()),
                    "{name}"
                );
            }
            None => {
                let r = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(r.signed_by, keys(&c["expect"]["signed_by"]), "{name}");
                let j = sj(&r.to_json());
                assert_eq!(
                    (j["ok"].clone(), j["code"].clone()),
                    (Value::Bool(true), Value::Null),
                    "{name}"
                );
                assert_eq!(j["signed_by"], c["expect"]["signed_by"], "{name}");
                assert_eq!(
                    r.tree.to_string(),
                    c["expect"]["tree"].as_str().expect("tree"),
                    "{name}"
                );
            }
        }
    }
    assert_eq!(cases.len(), 19);
}

#[test]
fn package_vectors_batched_agree() {
    // The same cases through check_packages (one batch for all signatures): same verdicts.
    let cases = load("package.json");
    let pkgs: Vec<MemoryPackage> = cases
        .iter()
        .map(|c| files(&c["files"]).package().expect("pkg"))
        .collect();
    let pins: Vec<Pins> = cases
        .iter()
        .map(|c| {
            let p = &c["pins"];
            Pins {
                digest: p["digest"]
                    .as_str()
                    .map(|d| TreeDigest::parse(d).expect("digest")),
                keys: keys(&p["keys"]),
                threshold: p["threshold"].as_u64().expect("t") as u32,
                legacy: LegacyPolicy::Refuse,
            }
        })
        .collect();
    let inputs: Vec<_> = pkgs
        .iter()
        .zip(&pins)
        .map(|(k, p)| (k.input("left-pad"), p))
        .collect();
    let batched = omega_core::check_packages(&inputs);
    for ((c, r), (input, p)) in cases.iter().zip(batched).zip(&inputs) {
        let one = check_package(*input, p);
        assert_eq!(r, one, "{}", c["name"]);
    }
}

#[test]
fn lock_vectors() {
    let cases = load("lock.json");
    for c in &cases {
        let name = c["name"].as_str().expect("name");
        let pkg = files(&c["files"]).package().expect("pkg");
        let manifest = pkg
            .manifest
            .as_ref()
            .map(|m| Manifest::parse(m).expect("manifest"));
        let blocks = pkg
            .signatures
            .as_ref()
            .map(|s| SignatureBlock::parse_all(s, "sig").expect("sig"))
            .unwrap_or_default();
        let release = manifest.as_ref().map(|m| Release {
            manifest: m,
            manifest_bytes: pkg.manifest.as_deref().unwrap_or_default(),
            signatures: &blocks,
        });
        let cand = Candidate {
            name: c["package"].as_str().expect("package"),
            path: c["path"].as_str().expect("path"),
            tree: pkg.listing.digest(),
            version: manifest.as_ref().map_or("0.0.1", |m| m.version.as_str()),
            release,
        };
        let pinned = c["pinned"].as_object().map(|_| entry(&c["pinned"]));
        let got = admit(
            pinned.as_ref(),
            &cand,
            &keys(&c["trust"]),
            LegacyPolicy::Refuse,
        );
        match code(&c["expect"]) {
            Some(want) => assert_eq!(got.err().map(|e| e.code()), Some(want), "{name}"),
            None => {
                let adm = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                let change = adm.change.as_str();
                assert_eq!(
                    change,
                    c["expect"]["change"].as_str().expect("change"),
                    "{name}"
                );
                assert_eq!(adm.entry, entry(&c["expect"]["entry"]), "{name}");
            }
        }
    }
    assert_eq!(cases.len(), 30);
}

#[test]
fn revocation_vectors() {
    let cases = load("revocation.json");
    for c in &cases {
        let name = c["name"].as_str().expect("name");
        let mut e = entry(&c["pinned"]);
        let blocks =
            SignatureBlock::parse_all(c["signature"].as_str().expect("sig").as_bytes(), "sig")
                .expect("sig");
        let got = apply_revocation(
            c["package"].as_str().expect("pkg"),
            &mut e,
            c["statement"].as_str().expect("stmt").as_bytes(),
            &blocks,
            LegacyPolicy::Refuse,
        );
        match code(&c["expect"]) {
            Some(want) => assert_eq!(got.err().map(|e| e.code()), Some(want), "{name}"),
            None => {
                let r = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    r.key.to_base64(),
                    c["expect"]["revoked"].as_str().expect("revoked")
                );
                assert_eq!(e, entry(&c["expect"]["entry"]), "{name}");
            }
        }
    }
    assert_eq!(cases.len(), 8);
}

/// Core's JSON value as serde_json's, to index it in assertions.
fn sj(v: &omega_core::json::Value<'_>) -> Value {
    serde_json::from_str(&omega_core::json::to_text(v)).expect("json")
}
