//! Reading a whole log from a [`Source`] (a registry folder or its URL): the checkpoint, then
//! the entry bundles range by range, each proven against the checkpoint's root by its tiles
//! (core's `TileHashes`), then replay. Used by every command that needs the registry's
//! current state: the writers (under the folder's lock), `omega statement`, the witness and
//! the monitor.

use std::collections::BTreeMap;

use omega_core::checkpoint::Checkpoint;
use omega_core::limits::{MAX_BUNDLE_BYTES, MAX_NOTE_BYTES};
use omega_core::note::Note;
use omega_core::registry::{replay, OnInvalid, Replay, ReplayOptions, Verification};
use omega_core::tiles::{
    bundle_bytes, bundles_for_replay, tiles_for_range, tiles_for_root, TileHashes, TilePath,
    FULL_TILE_BYTES, TILE_WIDTH,
};
use omega_core::{Error, ErrorCode, Result};

use crate::net::source::DEFAULT_PARALLEL_FETCHES;
use crate::net::{RelPath, Source};
use crate::progress::Progress;

/// Bundles fetched and verified per round (64 × 256 = 16,384 entries): bounds memory for
/// large logs, each round with a fresh `TileHashes`.
pub const BUNDLES_PER_ROUND: usize = 64;

/// A checkpoint as read: the note's exact bytes, the note and its text parsed.
#[derive(Clone, Debug)]
pub struct ReadCheckpoint {
    /// The note's bytes as served.
    pub bytes: Vec<u8>,
    /// The parsed note.
    pub note: Note,
    /// Its text as a checkpoint.
    pub checkpoint: Checkpoint,
}

/// Fetches and parses `checkpoint` below `source` (signatures are the caller's to verify).
pub fn read_checkpoint(source: &Source) -> Result<ReadCheckpoint> {
    let bytes = source.get(&RelPath::checkpoint(), MAX_NOTE_BYTES as u64)?;
    parse_checkpoint(bytes).map_err(|e| e.context(&source.shown(&RelPath::checkpoint())))
}

/// Parses checkpoint note bytes.
pub fn parse_checkpoint(bytes: Vec<u8>) -> Result<ReadCheckpoint> {
    let note = Note::parse(&bytes)?;
    let checkpoint = Checkpoint::parse(note.text())?;
    Ok(ReadCheckpoint {
        bytes,
        note,
        checkpoint,
    })
}

fn byte_cap(path: &TilePath) -> u64 {
    if path.bundle().is_some() || path.level().is_none() {
        MAX_BUNDLE_BYTES as u64
    } else {
        FULL_TILE_BYTES as u64
    }
}

/// Fetches `paths` (tiles and bundles) in parallel. A partial tile or bundle that is gone
/// (`NOT_FOUND`) is fetched again as its full tile (tlog-tiles' fallback) and stored under
/// the full path, where core looks for it.
pub fn fetch_tiles(
    source: &Source,
    paths: &[TilePath],
    progress: &Progress,
) -> Result<BTreeMap<TilePath, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut rels = Vec::with_capacity(paths.len());
    for p in paths {
        rels.push(RelPath::new(&p.to_string())?);
    }
    // Bundles and tiles have different caps; the larger one bounds both (checked by core).
    let cap = paths.iter().map(byte_cap).max().unwrap_or(0);
    let results = source.fetch_all_with(&rels, cap, DEFAULT_PARALLEL_FETCHES, progress);
    for (path, result) in paths.iter().zip(results) {
        match result {
            Ok(bytes) => {
                out.insert(*path, bytes);
            }
            Err(e) if e.code() == ErrorCode::NotFound && path.is_partial() => {
                let full = path.full();
                let bytes = source
                    .get(&RelPath::new(&full.to_string())?, byte_cap(&full))
                    .map_err(|_| e)?;
                out.insert(full, bytes);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Reads entries `[start, end)` of the log of `checkpoint`, every bundle proven by its tiles
/// against the checkpoint's root. `progress` advances by one per entry.
pub fn read_entries(
    source: &Source,
    checkpoint: &Checkpoint,
    start: u64,
    end: u64,
    progress: &Progress,
) -> Result<Vec<Vec<u8>>> {
    let size = checkpoint.size;
    // The whole range's paths (a whole-log replay: up to MAX_REPLAY_BUNDLES), fetched and
    // checked BUNDLES_PER_ROUND at a time.
    let all = bundles_for_replay(start, end, size)?;
    let mut entries = Vec::new();
    for chunk in all.chunks(BUNDLES_PER_ROUND) {
        let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else {
            continue;
        };
        let lo = first.index() * u64::from(TILE_WIDTH);
        let hi = (last.index() * u64::from(TILE_WIDTH) + u64::from(last.width())).min(size);
        let tiles = tiles_for_range(lo, hi, size)?;
        let mut want: Vec<TilePath> = tiles_for_root(size);
        want.extend(tiles.iter().cloned());
        want.extend(chunk.iter().cloned());
        want.sort();
        want.dedup();
        let fetched = fetch_tiles(source, &want, &Progress::hidden())?;
        let mut th = TileHashes::verify(size, &checkpoint.root, &fetched)?;
        th.load(&tiles, &fetched)?;
        for bundle in chunk {
            let bytes = bundle_bytes(&fetched, bundle)?;
            let list = th.verify_bundle(bundle, bytes)?;
            let base = bundle.index() * u64::from(TILE_WIDTH);
            for (i, e) in list.into_iter().enumerate() {
                let index = base + i as u64;
                if index >= start && index < end {
                    entries.push(e.to_vec());
                    progress.inc(1);
                }
            }
        }
    }
    Ok(entries)
}

/// The files `Publisher::resume` needs for a log of `size`: its root tiles and its partial
/// bundle.
pub fn edge_paths(size: u64) -> Result<Vec<TilePath>> {
    let mut want = tiles_for_root(size);
    let w = (size % u64::from(TILE_WIDTH)) as u16;
    if w > 0 {
        want.push(TilePath::entries(size / u64::from(TILE_WIDTH), w)?);
    }
    Ok(want)
}

/// A whole log read and replayed.
#[derive(Debug)]
pub struct Log {
    /// The checkpoint it was read at.
    pub checkpoint: ReadCheckpoint,
    /// Every entry, in order.
    pub entries: Vec<Vec<u8>>,
    /// The replay (stops at the first invalid entry).
    pub replay: Replay,
}

impl Log {
    /// The state after a strictly valid log, or the first invalid entry's error.
    pub fn state(&self) -> Result<omega_core::registry::RegistryState> {
        if let Some((_, e)) = self.replay.first_invalid() {
            return Err(e.clone());
        }
        self.replay
            .state
            .clone()
            .ok_or_else(|| Error::new(ErrorCode::NotFound, "the log is empty: no genesis entry"))
    }
}

/// Reads the whole log below `source` and replays it (batched verification), with a
/// progress bar over the entries on a terminal unless `quiet`.
pub fn read_log(source: &Source, quiet: bool) -> Result<Log> {
    let checkpoint = read_checkpoint(source)?;
    let progress = Progress::items(checkpoint.checkpoint.size, "reading the log", quiet);
    let log = read_log_at(source, checkpoint, &progress);
    progress.finish();
    log
}

/// [`read_log`] at a checkpoint already read.
pub fn read_log_at(
    source: &Source,
    checkpoint: ReadCheckpoint,
    progress: &Progress,
) -> Result<Log> {
    let size = checkpoint.checkpoint.size;
    let entries = read_entries(source, &checkpoint.checkpoint, 0, size, progress)?;
    let replay = replay(
        None,
        entries.iter().map(Vec::as_slice),
        ReplayOptions {
            on_invalid: OnInvalid::Stop,
            verification: Verification::Batch,
        },
    );
    Ok(Log {
        checkpoint,
        entries,
        replay,
    })
}
