//! A host loop over core's reader (core::driver) and an in-memory registry, shared by the
//! reader tests (core/tests/driver.rs, driver_host.rs, review_atk6.rs, state_store.rs): the
//! registry as served, a host with a cache of its own as the CLI drives the reader, and
//! readers on first use or pinned by a lock.
#![allow(dead_code)]

use std::collections::BTreeMap;

use omega_core::driver::{Phase, Reader};
use omega_core::Error;

use super::registry::{policy_text, Reg, NOW};

/// The registry URL the readers are opened with.
pub const URL: &str = "https://registry.example";

/// Files by served path.
pub type Files = BTreeMap<String, Vec<u8>>;

/// The registry as served: its files, the checkpoint cosigned at `NOW`, and every index.
pub fn served(reg: &Reg) -> Files {
    let mut f = reg.files.clone();
    f.entry("checkpoint".into())
        .or_insert_with(|| reg.checkpoint(Some(NOW)).into_bytes());
    for name in reg.state.names.keys() {
        f.insert(format!("index/{name}"), reg.signed_index(&reg.index(name)));
    }
    f
}

/// A host with a cache of its own, as the CLI: each needed path from `files`, else from
/// `cache` (`provide_cached`), else `None`; what the reader refuses is removed from `cache`.
/// Returns every path asked for, in order.
pub fn drive(r: &mut Reader, files: &Files, cache: &mut Files) -> Result<Vec<String>, Error> {
    let mut asked = Vec::new();
    loop {
        let needs = r.needs();
        if needs.is_empty() {
            return Ok(asked);
        }
        for p in needs {
            asked.push(p.clone());
            let result = match (files.get(&p), cache.get(&p)) {
                (Some(b), _) => r.provide(&p, Some(b.clone())),
                (None, Some(b)) => r.provide_cached(&p, b.clone()),
                (None, None) => r.provide(&p, None),
            };
            for gone in r.take_refused() {
                cache.remove(&gone);
            }
            result?;
        }
    }
}

/// A reader of a pinned registry: the lock's note and genesis.
pub fn pinned(note: &str, genesis: [u8; 32]) -> Reader {
    Reader::from_policy(
        URL,
        &policy_text(),
        3600,
        Some(note.as_bytes()),
        Some(genesis),
        Some(NOW),
    )
    .unwrap()
}

/// A reader after its first use of `files` (no cache), ready.
pub fn first_use_reader(files: &Files) -> Reader {
    let mut r = Reader::from_policy(URL, &policy_text(), 3600, None, None, Some(NOW)).unwrap();
    drive(&mut r, files, &mut Files::new()).unwrap();
    assert_eq!(r.phase(), Phase::Ready);
    r
}
