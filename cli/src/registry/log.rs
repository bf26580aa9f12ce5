//! Reading a whole log from a [`Source`] (a registry folder or its URL): the checkpoint, then
//! the entry bundles window by window, each proven against the checkpoint's root by its tiles
//! (core's `TileHashes`) and replayed onto the state of the previous window (core's
//! `registry::replay_visit`: signatures checked on all cores, entries applied in order), then
//! dropped, so memory is bounded by a window. Used by every command that needs the registry's
//! current state: the writers (under the folder's lock), `omega statement`, the witness and
//! the monitor.

use std::collections::BTreeMap;

use omega_core::checkpoint::Checkpoint;
use omega_core::entry::Entry;
use omega_core::limits::{MAX_BUNDLE_BYTES, MAX_DELTA_SCAN_BUNDLES, MAX_NOTE_BYTES};
use omega_core::note::Note;
use omega_core::registry::{replay_visit, OnInvalid, RegistryState, PRECHECK_WINDOW};
use omega_core::tiles::{
    bundle_bytes, bundles_for_replay, tiles_for_range, tiles_for_root, TileHashes, TilePath,
    FULL_TILE_BYTES, TILE_WIDTH,
};
use omega_core::{Error, ErrorCode, Result};

use crate::net::source::DEFAULT_PARALLEL_FETCHES;
use crate::net::{RelPath, Source};
use crate::progress::Progress;

/// Bundles fetched, proven and replayed per window of a whole-log read
/// ([`MAX_DELTA_SCAN_BUNDLES`] = 256 bundles, 65,536 entries): memory is bounded by a window
/// (its bundles, about 50 MB at most of the registry's entries), each with a fresh
/// `TileHashes`.
pub const BUNDLES_PER_WINDOW: usize = MAX_DELTA_SCAN_BUNDLES;

/// The bundles per window: [`BUNDLES_PER_WINDOW`], or fewer with `OMEGA_LOG_WINDOW_BUNDLES`
/// (1 to 256; less memory, more round trips; the tests use it to cross windows with small
/// logs). Verdicts do not depend on it.
fn window_bundles() -> usize {
    std::env::var("OMEGA_LOG_WINDOW_BUNDLES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(BUNDLES_PER_WINDOW, |n| n.clamp(1, BUNDLES_PER_WINDOW))
}

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

/// What [`for_each_window`] calls per window: the index of its first entry in range and its
/// entries (proven).
pub type WindowFn<'f> = dyn FnMut(u64, &[&[u8]]) -> Result<()> + 'f;

/// Walks entries `[start, end)` of the log of `checkpoint` window by window
/// ([`BUNDLES_PER_WINDOW`] bundles): fetches a window's bundles and the tiles that prove them,
/// proves every bundle against the checkpoint's root, hands `window` the index of its first
/// entry in range and its entries, then drops the window's bytes. Memory is bounded by a
/// window, not by the log. `progress` advances by one per entry.
pub fn for_each_window(
    source: &Source,
    checkpoint: &Checkpoint,
    start: u64,
    end: u64,
    progress: &Progress,
    window: &mut WindowFn<'_>,
) -> Result<()> {
    let size = checkpoint.size;
    // The whole range's paths (a whole-log replay: up to MAX_REPLAY_BUNDLES, refused before
    // anything is fetched), then BUNDLES_PER_WINDOW at a time.
    let all = bundles_for_replay(start, end, size)?;
    for chunk in all.chunks(window_bundles()) {
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
        let mut entries: Vec<&[u8]> = Vec::new();
        let mut from = None;
        for bundle in chunk {
            let bytes = bundle_bytes(&fetched, bundle)?;
            let list = th.verify_bundle(bundle, bytes)?;
            let base = bundle.index() * u64::from(TILE_WIDTH);
            for (i, e) in list.into_iter().enumerate() {
                let index = base + i as u64;
                if index >= start && index < end {
                    from.get_or_insert(index);
                    entries.push(e);
                }
            }
        }
        if let Some(from) = from {
            window(from, &entries)?;
            progress.inc(entries.len() as u64);
        }
    }
    Ok(())
}

/// Reads entries `[start, end)` of the log of `checkpoint`, every bundle proven by its tiles
/// against the checkpoint's root, and returns them all: for short ranges (a journal, a
/// delta after an index note); a whole log goes through [`replay_log_at`].
pub fn read_entries(
    source: &Source,
    checkpoint: &Checkpoint,
    start: u64,
    end: u64,
    progress: &Progress,
) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for_each_window(
        source,
        checkpoint,
        start,
        end,
        progress,
        &mut |_, entries| {
            out.extend(entries.iter().map(|e| e.to_vec()));
            Ok(())
        },
    )?;
    Ok(out)
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
    /// The state after every entry (the log is strictly valid).
    pub state: RegistryState,
}

/// Reads the whole log below `source` and replays it window by window, with a progress bar
/// over the entries on a terminal unless `quiet`; `visit` sees every entry, parsed, in order.
/// The first invalid entry's error (naming it) is returned.
pub fn read_log(source: &Source, quiet: bool, visit: &mut dyn FnMut(u64, &Entry)) -> Result<Log> {
    let checkpoint = read_checkpoint(source)?;
    let progress = Progress::items(checkpoint.checkpoint.size, "reading the log", quiet);
    let log = read_log_at(source, checkpoint, &progress, visit);
    progress.finish();
    log
}

/// [`read_log`] at a checkpoint already read.
pub fn read_log_at(
    source: &Source,
    checkpoint: ReadCheckpoint,
    progress: &Progress,
    visit: &mut dyn FnMut(u64, &Entry),
) -> Result<Log> {
    let state = replay_log_at(source, &checkpoint.checkpoint, progress, visit)?;
    Ok(Log { checkpoint, state })
}

/// Replays the whole log of `checkpoint` from its genesis, window by window: each window's
/// bundles fetched and proven ([`for_each_window`]), its entries' signatures verified on all
/// cores, then applied in order onto the state of the previous window
/// ([`replay_visit`]: the verdicts of a one-by-one replay), then dropped. Stops at the first
/// invalid entry with its error (which names the entry); `NOT_FOUND` for an empty log.
pub fn replay_log_at(
    source: &Source,
    checkpoint: &Checkpoint,
    progress: &Progress,
    visit: &mut dyn FnMut(u64, &Entry),
) -> Result<RegistryState> {
    let mut state: Option<RegistryState> = None;
    for_each_window(
        source,
        checkpoint,
        0,
        checkpoint.size,
        progress,
        &mut |_, entries| {
            let r = replay_visit(
                state.take(),
                entries.iter().copied(),
                OnInvalid::Stop,
                PRECHECK_WINDOW,
                visit,
            );
            if let Some((_, e)) = r.first_invalid() {
                return Err(e.clone());
            }
            state = r.state;
            Ok(())
        },
    )?;
    state.ok_or_else(|| Error::new(ErrorCode::NotFound, "the log is empty: no genesis entry"))
}
