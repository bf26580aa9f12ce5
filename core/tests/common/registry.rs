//! The in-memory registry fixture shared by core/tests/client.rs, core/tests/driver.rs and the
//! vector generator (core/examples/gen-vectors/client.rs, tests/vectors/client.json): a
//! registry built with core's publisher, entry signing and note signing (genesis by janitors
//! 1, 2 of 1, 2, 3; log key 200, index key 201, witness w1 key 202), its files by served path.
#![allow(dead_code)]

use std::collections::BTreeMap;

use omega_core::checkpoint::Checkpoint;
use omega_core::client::{self, Held, Trust};
use omega_core::entry::Entry;
use omega_core::index::{IndexLine, IndexNote};
use omega_core::manifest::{KeySet, Manifest};
use omega_core::note::{self, Note};
use omega_core::registry::RegistryState;
use omega_core::secret::SecretKey;
use omega_core::statement::{
    Mode, OwnersStatement, RegistryStatement, ReleaseStatement, Statement,
};
use omega_core::tiles::Publisher;
use omega_core::tree::{FileEntry, FileKind, RelPath, TreeListing};
use omega_core::vkey::Vkey;
use omega_core::KeyId;

pub const ORIGIN: &str = "registry.example/log";
pub const INDEX: &str = "registry.example/index";
pub const NOW: u64 = 1_800_000_000;

pub fn key(n: u8) -> SecretKey {
    SecretKey::from_seed(&[n; 32], KeyId([n, 0x6f, 0x6d, 0x65, 0x67, 0x61, 0x00, n]))
}

pub fn ks(threshold: u32, signers: &[&SecretKey], next: &[&SecretKey]) -> KeySet {
    KeySet {
        threshold,
        signers: signers.iter().map(|k| k.public_key()).collect(),
        next: next.iter().map(|k| k.public_key()).collect(),
    }
}

pub fn log_key() -> SecretKey {
    key(200)
}
pub fn index_key() -> SecretKey {
    key(201)
}
pub fn witness_key() -> SecretKey {
    key(202)
}

pub fn policy_text() -> String {
    format!(
        "log {}\nwitness w1 {}\nquorum w1\n",
        note::signer_vkey(ORIGIN, &log_key()).unwrap(),
        note::cosigner_vkey("w1", &witness_key()).unwrap()
    )
}

/// A registry in memory: its files (tiles, bundles, objects, index, checkpoint) by path.
#[derive(Clone)]
pub struct Reg {
    pub files: BTreeMap<String, Vec<u8>>,
    pub publisher: Publisher,
    pub state: RegistryState,
    pub entries: Vec<Vec<u8>>,
}

impl Reg {
    /// Genesis by janitors 1, 2 (of 1, 2, 3; threshold 2), open mode.
    pub fn new() -> Reg {
        let st = Statement::Registry(RegistryStatement {
            origin: ORIGIN.into(),
            serial: 0,
            janitors: ks(2, &[&key(1), &key(2), &key(3)], &[]),
            log_key: note::signer_vkey(ORIGIN, &log_key()).unwrap(),
            index_key: Vkey::ed25519(INDEX, *index_key().public_key().as_bytes()).unwrap(),
            mode: Mode::Open,
        });
        let g = Entry::sign(&st, &[&key(1), &key(2)], "omega-entry/v1")
            .unwrap()
            .to_bytes();
        let state = RegistryState::genesis(&g).unwrap();
        let mut r = Reg {
            files: BTreeMap::new(),
            publisher: Publisher::new(),
            state,
            entries: Vec::new(),
        };
        r.push_bytes(g);
        r
    }

    pub fn push_bytes(&mut self, bytes: Vec<u8>) {
        if !self.entries.is_empty() {
            self.state.apply(&bytes).unwrap();
        }
        let app = self.publisher.append(&[&bytes]).unwrap();
        for f in app.files {
            self.files.insert(f.path.to_string(), f.bytes);
        }
        self.entries.push(bytes);
    }

    pub fn push(&mut self, st: &Statement, by: &[&SecretKey]) -> u64 {
        let e = Entry::sign(st, by, "omega-entry/v1").unwrap().to_bytes();
        self.push_bytes(e);
        self.entries.len() as u64 - 1
    }

    /// Appends an unauthorised entry anyway (a misbehaving registry).
    pub fn push_unchecked(&mut self, st: &Statement, by: &[&SecretKey]) {
        let e = Entry::sign(st, by, "omega-entry/v1").unwrap().to_bytes();
        let app = self.publisher.append(&[&e]).unwrap();
        for f in app.files {
            self.files.insert(f.path.to_string(), f.bytes);
        }
        self.entries.push(e);
    }

    pub fn owners(&mut self, name: &str, serial: u64, owner: &SecretKey, by: &[&SecretKey]) -> u64 {
        self.push(
            &Statement::Owners(OwnersStatement {
                origin: ORIGIN.into(),
                name: name.into(),
                serial,
                keys: ks(1, &[owner], &[]),
                reason: "maintainers".into(),
            }),
            by,
        )
    }

    /// Packs and publishes `name@version` signed by `owner`; returns the release statement.
    pub fn release(
        &mut self,
        name: &str,
        version: &str,
        sequence: u64,
        owner: &SecretKey,
        body: &[u8],
    ) -> ReleaseStatement {
        let (statement, entry_by) = self.pack(name, version, sequence, owner, body);
        self.push(&Statement::Release(statement.clone()), &[entry_by]);
        statement
    }

    pub fn pack<'k>(
        &mut self,
        name: &str,
        version: &str,
        sequence: u64,
        owner: &'k SecretKey,
        body: &[u8],
    ) -> (ReleaseStatement, &'k SecretKey) {
        let listing = TreeListing::new(vec![FileEntry::from_contents(
            RelPath::new("index.js").unwrap(),
            FileKind::Regular,
            body,
        )])
        .unwrap();
        let keys = ks(1, &[owner], &[]);
        let m = Manifest::new(
            name,
            version,
            sequence,
            &listing,
            Default::default(),
            keys.clone(),
        )
        .unwrap();
        let mbytes = m.to_json_bytes();
        let sig = owner
            .sign(&mbytes, "t", "u")
            .unwrap()
            .to_text()
            .into_bytes();
        let tgz = omega_core::tarball::write_tgz(&[
            ("index.js".into(), false, body.to_vec()),
            (".omega/manifest.json".into(), false, mbytes.clone()),
            (".omega/manifest.json.minisig".into(), false, sig.clone()),
        ])
        .unwrap();
        let statement = ReleaseStatement {
            origin: ORIGIN.into(),
            name: name.into(),
            version: version.into(),
            sequence,
            tree: m.tree,
            manifest: omega_core::hash::blake2b256(&mbytes),
            tgz: omega_core::hash::blake2b256(&tgz),
            size: tgz.len() as u64,
            keys,
        };
        self.files
            .insert(client::object_path(&statement.manifest), mbytes);
        self.files.insert(client::object_path(&statement.tgz), tgz);
        (statement, owner)
    }

    pub fn checkpoint_text(&self) -> String {
        Checkpoint {
            origin: ORIGIN.into(),
            size: self.publisher.size(),
            root: self.publisher.root(),
            extensions: Vec::new(),
        }
        .to_text()
    }

    /// The signed checkpoint, cosigned by the witness at `time` (none with `None`).
    pub fn checkpoint(&self, time: Option<u64>) -> String {
        let text = self.checkpoint_text();
        let mut n = Note::new(&text).unwrap();
        n.add_signature(note::sign_ed25519(&text, ORIGIN, &log_key()).unwrap())
            .unwrap();
        if let Some(t) = time {
            n.add_signature(note::cosign(&text, "w1", &witness_key(), t).unwrap())
                .unwrap();
        }
        n.to_text()
    }

    /// The index note of `name` as an honest registry writes it, as of the current size.
    pub fn index(&self, name: &str) -> IndexNote {
        let mut lines: Vec<IndexLine> = Vec::new();
        if let Some(ns) = self.state.name(name) {
            lines.push(IndexLine::Owners {
                entry: ns.owners_entry,
            });
            for (v, r) in &ns.releases {
                lines.push(IndexLine::Release {
                    entry: r.entry,
                    version: v.clone(),
                    sequence: r.sequence,
                    tgz: r.tgz,
                    manifest: r.manifest,
                });
                if let Some(y) = &r.yanked {
                    lines.push(IndexLine::Yank {
                        entry: y.entry,
                        version: v.clone(),
                        sequence: r.sequence,
                    });
                }
            }
            for r in &ns.revoked {
                lines.push(IndexLine::Revoke {
                    entry: r.entry,
                    key: r.key.to_base64(),
                });
            }
            for n in ns.notices.values() {
                lines.push(IndexLine::Notice {
                    entry: n.entry,
                    id: n.notice.id.clone(),
                    severity: n.notice.severity,
                });
            }
        }
        lines.sort_by_key(IndexLine::entry);
        IndexNote {
            origin: ORIGIN.into(),
            name: name.into(),
            as_of: self.publisher.size(),
            expires: NOW + 3600,
            lines,
        }
    }

    /// Writes `index/<name>` for every name, as of the current size (what a registry serves).
    pub fn indexes(&mut self) {
        let names: Vec<String> = self.state.names.keys().cloned().collect();
        for name in names {
            let bytes = self.signed_index(&self.index(&name));
            self.files.insert(format!("index/{name}"), bytes);
        }
    }

    pub fn signed_index(&self, idx: &IndexNote) -> Vec<u8> {
        idx.sign(INDEX, &index_key()).unwrap().into_bytes()
    }

    pub fn held(&self) -> Held {
        client::parse_held(&self.checkpoint(Some(NOW))).unwrap()
    }
}

/// left-pad owned by key 10 (claimed first come), releases 1.0.0 (seq 1) and 1.1.0 (seq 2).
pub fn sample() -> Reg {
    let mut r = Reg::new();
    r.owners("left-pad", 0, &key(10), &[&key(10)]);
    r.release("left-pad", "1.0.0", 1, &key(10), b"one");
    r.release("left-pad", "1.1.0", 2, &key(10), b"two");
    r
}

pub fn first_use() -> Trust {
    Trust::first_use("https://registry.example", &policy_text(), 3600).unwrap()
}
