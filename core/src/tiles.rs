//! Tiles (C2SP tlog-tiles): tile paths, which tiles a root or a proof needs, verification of
//! tile bytes against a signed root, proofs built from verified tiles, and the publisher's
//! side (which tiles and entry bundles to write when entries are appended).
//!
//! Sans-IO: core computes the paths ([`tiles_for_root`], [`tiles_for_inclusion`],
//! [`tiles_for_consistency`]), the host fetches them and hands the bytes back through a
//! [`TileSource`] (a map from path to bytes, or its own implementation), and
//! [`TileHashes`] trusts a tile only once the hashes it implies recompute the checkpoint root
//! (the partial, rightmost tiles) or the hash its verified parent tile holds for it (full
//! tiles). Full-tile fallback: where a partial tile `…/N.p/W` is needed, the bytes of the full
//! tile `…/N` are accepted instead (under either path) and only their first `W` hashes are
//! used and kept; tlog-tiles lets a log delete a partial tile once the full one exists.
//!
//! The tile arithmetic is a port of Go's `golang.org/x/mod/sumdb/tlog` (`tile.go`:
//! `TileForIndex`, `HashFromTile`, `NewTiles`, `tileHashReader`, `Tile.Path`,
//! `ParseTilePath`; BSD-3-Clause, Copyright 2019 The Go Authors), with the tile height fixed
//! at 8 and without Go's height element in paths, as tlog-tiles specifies. Hashes are named
//! by `(level, n)` coordinates (see [`HashSource`]) rather than Go's stored-hash indexes
//! ([`crate::merkle::stored_hash_index`] converts).
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use omega_core::merkle::{leaf_hash, verify_inclusion};
//! use omega_core::tiles::{read_entry, tiles_for_inclusion, Publisher, TileHashes};
//!
//! // The publisher appends entries and writes the files it returns (then the checkpoint).
//! let mut log = Publisher::new();
//! let appended = log.append(&[&b"first"[..], b"second", b"third"])?;
//! let (size, root) = (appended.size, appended.root);
//! let served: BTreeMap<String, Vec<u8>> =
//!     appended.files.into_iter().map(|f| (f.path.to_string(), f.bytes)).collect();
//!
//! // A client holding (size, root) from a verified checkpoint asks which tiles it needs,
//! // fetches them (here: the map), and verifies before using any hash.
//! let need = tiles_for_inclusion(1, size)?;
//! assert_eq!(need[0].to_string(), "tile/0/000.p/3");
//! let mut tiles = TileHashes::verify(size, &root, &served)?;
//! tiles.load(&need, &served)?;
//! let proof = tiles.inclusion_proof(1)?;
//! verify_inclusion(1, size, &leaf_hash(b"second"), &proof, &root)?;
//! // Or in one call, with the entry's bytes read from its bundle:
//! assert_eq!(read_entry(1, size, &root, &served)?, b"second");
//! # Ok::<(), omega_core::Error>(())
//! ```

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::bundle::{parse_bundle_prefix, write_bundle, BUNDLE_WIDTH};
use crate::error::{fail, ErrorCode, Result};
use crate::limits::{
    MAX_DELTA_SCAN_BUNDLES, MAX_ENTRY_BYTES, MAX_REPLAY_BUNDLES, MAX_TILE_PATH_BYTES,
};
use crate::merkle::{
    self, consistency_proof_coords, inclusion_proof_coords, leaf_hash, node_hash, root_coords,
    Hash, HashSource, EMPTY_ROOT, HASH_SIZE,
};

/// Tree levels one tile spans (tlog-tiles fixes it at 8).
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile (and entries in a full bundle).
pub const TILE_WIDTH: u16 = 256;
/// Bytes in a full hash tile (256 hashes of 32 bytes).
pub const FULL_TILE_BYTES: usize = TILE_WIDTH as usize * HASH_SIZE;
/// Highest tile level a path may name (tlog-tiles: 0 to 63). A tree of `u64` size has tiles
/// up to level 7 only.
pub const MAX_TILE_LEVEL: u8 = 63;

/// What a tile path names: a hash tile at a level, or an entry bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// `tile/<L>/…`: hashes at tree level `8·L`.
    Hashes(u8),
    /// `tile/entries/…`: the entries whose leaf hashes are the level-0 tile of the same `N`.
    Entries,
}

/// A tile or entry-bundle path: kind, index `N` within its level, and width `W` (1..=256;
/// 256 is a full tile, written without `.p/<W>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TilePath {
    kind: TileKind,
    index: u64,
    width: u16,
}

fn malformed_path<T>(s: &str, why: &str) -> Result<T> {
    fail(
        ErrorCode::Malformed,
        format!("tile path {s:?} is not valid: {why}"),
    )
}

/// A decimal of ASCII digits with no leading zero (`"0"` itself allowed).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl TilePath {
    /// A hash tile at `level` (0..=63) with `index` and `width` (1..=256).
    pub fn hashes(level: u8, index: u64, width: u16) -> Result<TilePath> {
        if level > MAX_TILE_LEVEL {
            return fail(
                ErrorCode::Malformed,
                format!("tile level {level} is over {MAX_TILE_LEVEL}"),
            );
        }
        TilePath::new(TileKind::Hashes(level), index, width)
    }

    /// An entry bundle with `index` and `width` (1..=256).
    pub fn entries(index: u64, width: u16) -> Result<TilePath> {
        TilePath::new(TileKind::Entries, index, width)
    }

    fn new(kind: TileKind, index: u64, width: u16) -> Result<TilePath> {
        if width == 0 || width > TILE_WIDTH {
            return fail(
                ErrorCode::Malformed,
                format!("tile width {width} is not in 1..=256"),
            );
        }
        Ok(TilePath { kind, index, width })
    }

    /// Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` strictly: `L` in 0..=63 and
    /// `W` in 1..=255 without leading zeros, `N` in 3-digit groups with `x` on all but the
    /// last and no leading `x000` group, nothing else (no `..`, no empty element, no trailing
    /// slash). `TOO_LARGE` over [`MAX_TILE_PATH_BYTES`], else `MALFORMED` naming the path.
    pub fn parse(s: &str) -> Result<TilePath> {
        if s.len() > MAX_TILE_PATH_BYTES {
            return fail(
                ErrorCode::TooLarge,
                format!(
                    "tile path of {} bytes is over the limit of {MAX_TILE_PATH_BYTES}",
                    s.len()
                ),
            );
        }
        let Some(rest) = s.strip_prefix("tile/") else {
            return malformed_path(s, "it does not start with tile/");
        };
        let mut parts: Vec<&str> = rest.split('/').collect();
        if parts.len() < 2 {
            return malformed_path(s, "it has no index");
        }
        let kind = match parts.remove(0) {
            "entries" => TileKind::Entries,
            l => match parse_decimal(l) {
                Some(l) if l <= u64::from(MAX_TILE_LEVEL) => TileKind::Hashes(l as u8),
                _ => return malformed_path(s, "the level is not a decimal in 0..=63"),
            },
        };
        let mut width = TILE_WIDTH;
        if parts.len() >= 2 {
            let last_group = parts.len() - 2;
            if let Some(stripped) = parts.get(last_group).and_then(|g| g.strip_suffix(".p")) {
                let w = parts.last().copied().unwrap_or("");
                width = match parse_decimal(w) {
                    Some(w) if (1..u64::from(TILE_WIDTH)).contains(&w) => w as u16,
                    _ => return malformed_path(s, "the width is not a decimal in 1..=255"),
                };
                parts.truncate(last_group);
                parts.push(stripped);
            }
        }
        let count = parts.len();
        let mut index: u64 = 0;
        for (i, group) in parts.iter().enumerate() {
            let digits = if i + 1 < count {
                match group.strip_prefix('x') {
                    Some(d) => d,
                    None => {
                        return malformed_path(s, "an index group other than the last lacks its x")
                    }
                }
            } else {
                group
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return malformed_path(s, "an index group is not 3 digits");
            }
            if i == 0 && count > 1 && digits == "000" {
                return malformed_path(s, "the index has a leading x000 group");
            }
            let d: u64 = digits.parse().unwrap_or(0);
            index = match index.checked_mul(1000).and_then(|v| v.checked_add(d)) {
                Some(v) => v,
                None => return malformed_path(s, "the index does not fit in 64 bits"),
            };
        }
        Ok(TilePath { kind, index, width })
    }

    /// Hash tile or entry bundle.
    pub fn kind(&self) -> TileKind {
        self.kind
    }

    /// The level of a hash tile; `None` for an entry bundle.
    pub fn level(&self) -> Option<u8> {
        match self.kind {
            TileKind::Hashes(l) => Some(l),
            TileKind::Entries => None,
        }
    }

    /// `N`, the index of the tile within its level.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// `W`, the number of hashes (or entries), 1..=256.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Whether the width is under 256.
    pub fn is_partial(&self) -> bool {
        self.width < TILE_WIDTH
    }

    /// The full tile (or bundle) of the same kind and index.
    pub fn full(&self) -> TilePath {
        TilePath {
            width: TILE_WIDTH,
            ..*self
        }
    }

    /// The entry bundle matching a level-0 hash tile (same index and width); `None` for other
    /// tiles.
    pub fn bundle(&self) -> Option<TilePath> {
        match self.kind {
            TileKind::Hashes(0) => Some(TilePath {
                kind: TileKind::Entries,
                ..*self
            }),
            _ => None,
        }
    }

    /// The exact byte length of a hash tile (`W·32`); `None` for an entry bundle, whose length
    /// depends on its entries.
    pub fn byte_len(&self) -> Option<usize> {
        match self.kind {
            TileKind::Hashes(_) => Some(usize::from(self.width) * HASH_SIZE),
            TileKind::Entries => None,
        }
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tile/")?;
        match self.kind {
            TileKind::Hashes(l) => write!(f, "{l}/")?,
            TileKind::Entries => f.write_str("entries/")?,
        }
        let mut groups = [0u16; 7];
        let mut count = 0;
        let mut n = self.index;
        loop {
            if let Some(g) = groups.get_mut(count) {
                *g = (n % 1000) as u16;
            }
            count += 1;
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        for i in (0..count).rev() {
            let g = groups.get(i).copied().unwrap_or(0);
            if i > 0 {
                write!(f, "x{g:03}/")?;
            } else {
                write!(f, "{g:03}")?;
            }
        }
        if self.is_partial() {
            write!(f, ".p/{}", self.width)?;
        }
        Ok(())
    }
}

/// Where tile bytes come from: the host fetches the paths core asks for and answers here.
/// `None` means "not available" (not fetched, 404).
pub trait TileSource {
    /// The bytes served at `path`, if the host has them.
    fn tile(&self, path: &TilePath) -> Option<&[u8]>;
}

impl<B: AsRef<[u8]>> TileSource for BTreeMap<TilePath, B> {
    fn tile(&self, path: &TilePath) -> Option<&[u8]> {
        self.get(path).map(AsRef::as_ref)
    }
}

impl<B: AsRef<[u8]>> TileSource for BTreeMap<String, B> {
    /// Keys are path strings as [`TilePath`]'s `Display` writes them.
    fn tile(&self, path: &TilePath) -> Option<&[u8]> {
        self.get(&path.to_string()).map(AsRef::as_ref)
    }
}

/// The width of tile `(level, index)` in the tree of `size` leaves (tlog-tiles: full tiles are
/// 256, the rightmost has `floor(size / 256^level) mod 256`); 0 when the tree has no such tile.
pub fn tile_width(size: u64, level: u8, index: u64) -> u16 {
    let shift = u32::from(level) * TILE_HEIGHT;
    let count = size.checked_shr(shift).unwrap_or(0);
    let Some(start) = index.checked_mul(u64::from(TILE_WIDTH)) else {
        return 0;
    };
    if count <= start {
        return 0;
    }
    (count - start).min(u64::from(TILE_WIDTH)) as u16
}

/// The tile of the tree of `size` holding the data for the hash `(level, n)` (Go's
/// `TileForIndex`, with the tile's width in that tree). `NOT_IN_LOG` when that hash is not a
/// complete subtree of the tree.
pub fn tile_for_hash(size: u64, level: u8, n: u64) -> Result<TilePath> {
    let in_tree = n
        .checked_add(1)
        .and_then(|e| e.checked_mul(1u64.checked_shl(u32::from(level))?))
        .is_some_and(|end| end <= size);
    if level > merkle::MAX_LEVEL || !in_tree {
        return fail(
            ErrorCode::NotInLog,
            format!("hash ({level}, {n}) is not in a log of size {size}"),
        );
    }
    let tl = level / 8;
    let l = u32::from(level % 8);
    // (n+1)·2^level ≤ size, so n·2^l fits.
    let index = (n << l) >> TILE_HEIGHT;
    let width = tile_width(size, tl, index);
    TilePath::hashes(tl, index, width)
}

/// The tiles needed to recompute the root of the tree of `size`: its partial (rightmost)
/// tiles, one per level where `floor(size / 256^L) mod 256 > 0`, top level first. None for
/// the empty tree.
pub fn tiles_for_root(size: u64) -> Vec<TilePath> {
    let mut out = Vec::new();
    let mut level = 0u8;
    loop {
        let count = size
            .checked_shr(u32::from(level) * TILE_HEIGHT)
            .unwrap_or(0);
        if count == 0 {
            break;
        }
        let width = (count % u64::from(TILE_WIDTH)) as u16;
        if width > 0 {
            out.push(TilePath {
                kind: TileKind::Hashes(level),
                index: count >> TILE_HEIGHT,
                width,
            });
        }
        level += 1;
    }
    out.reverse();
    out
}

/// The parent of a full tile in the tree of `size`: the tile one level up that holds its
/// hash.
fn parent_tile(size: u64, t: &TilePath) -> Option<TilePath> {
    let level = t.level()?.checked_add(1)?;
    let index = t.index >> TILE_HEIGHT;
    let width = tile_width(size, level, index);
    if width == 0 || level > MAX_TILE_LEVEL {
        return None;
    }
    Some(TilePath {
        kind: TileKind::Hashes(level),
        index,
        width,
    })
}

fn sort_parents_first(paths: &mut [TilePath]) {
    paths.sort_by(|a, b| {
        b.level()
            .cmp(&a.level())
            .then(a.index.cmp(&b.index))
            .then(a.width.cmp(&b.width))
    });
}

/// The tiles (root tiles first, then each tile with the parents that authenticate it, top
/// level first) needed to read the hashes `coords` from the tree of `size`.
pub fn tiles_for_hashes(size: u64, coords: &[(u8, u64)]) -> Result<Vec<TilePath>> {
    let mut set: BTreeSet<TilePath> = tiles_for_root(size).into_iter().collect();
    for &(level, n) in coords {
        let mut t = tile_for_hash(size, level, n)?;
        while set.insert(t) {
            // Partial tiles are root tiles (already in the set); a full tile's parent exists.
            match parent_tile(size, &t) {
                Some(p) if !t.is_partial() => t = p,
                _ => break,
            }
        }
    }
    let mut out: Vec<TilePath> = set.into_iter().collect();
    sort_parents_first(&mut out);
    Ok(out)
}

/// The tiles a client fetches to check entry `index` of the tree of `size`: those for the
/// root, the leaf hash itself and the inclusion proof. At most `2·ceil(log256 size) + 2`.
pub fn tiles_for_inclusion(index: u64, size: u64) -> Result<Vec<TilePath>> {
    let mut coords = inclusion_proof_coords(index, size)?;
    coords.push((0, index));
    tiles_for_hashes(size, &coords)
}

/// The tiles of the tree of size `n` a client fetches to build the consistency proof from
/// size `m`.
pub fn tiles_for_consistency(m: u64, n: u64) -> Result<Vec<TilePath>> {
    tiles_for_hashes(n, &consistency_proof_coords(m, n)?)
}

/// The tiles of the tree of size `n` needed to compute the root of its prefix of size `m`
/// ([`TileHashes::root_at`]): a client whose mirror serves an older checkpoint proves it
/// against the newer tree it holds.
pub fn tiles_for_root_at(m: u64, n: u64) -> Result<Vec<TilePath>> {
    if m > n {
        return fail(
            ErrorCode::LogInconsistent,
            format!("size {m} is beyond the log of size {n}"),
        );
    }
    tiles_for_hashes(n, &root_coords(m))
}

/// The hash tiles to write when a tree grows from `old_size` to `new_size` (Go's
/// `NewTiles`): every tile that became full, and the new rightmost partial tiles.
pub fn new_tiles(old_size: u64, new_size: u64) -> Vec<TilePath> {
    let mut out = Vec::new();
    let mut level = 0u8;
    loop {
        let shift = u32::from(level) * TILE_HEIGHT;
        let new_n = new_size.checked_shr(shift).unwrap_or(0);
        if new_n == 0 {
            break;
        }
        let old_n = old_size.checked_shr(shift).unwrap_or(0);
        if old_n != new_n {
            for index in (old_n >> TILE_HEIGHT)..(new_n >> TILE_HEIGHT) {
                out.push(TilePath {
                    kind: TileKind::Hashes(level),
                    index,
                    width: TILE_WIDTH,
                });
            }
            let w = (new_n % u64::from(TILE_WIDTH)) as u16;
            if w > 0 {
                out.push(TilePath {
                    kind: TileKind::Hashes(level),
                    index: new_n >> TILE_HEIGHT,
                    width: w,
                });
            }
        }
        level += 1;
    }
    out
}

/// The hash of a power-of-two run of tile hashes (Go's `tileHash`).
fn run_hash(hashes: &[Hash]) -> Hash {
    merkle::root(hashes)
}

/// Reads the hashes at `path` from the source, with the full-tile fallback for a partial
/// path. Exact lengths only: `MALFORMED` for any other length, `NOT_FOUND` when absent.
fn read_tile_hashes(source: &(impl TileSource + ?Sized), path: &TilePath) -> Result<Vec<Hash>> {
    let want = usize::from(path.width) * HASH_SIZE;
    let bytes = match source.tile(path) {
        Some(b) if b.len() == want || (path.is_partial() && b.len() == FULL_TILE_BYTES) => b,
        Some(b) => {
            return fail(
                ErrorCode::Malformed,
                format!("tile {path} has {} bytes, expected {want}", b.len()),
            )
        }
        None => match path
            .is_partial()
            .then(|| source.tile(&path.full()))
            .flatten()
        {
            Some(b) if b.len() == FULL_TILE_BYTES => b,
            Some(b) => {
                return fail(
                    ErrorCode::Malformed,
                    format!(
                        "tile {} (fallback for {path}) has {} bytes, expected {FULL_TILE_BYTES}",
                        path.full(),
                        b.len()
                    ),
                )
            }
            None => return fail(ErrorCode::NotFound, format!("tile {path} was not supplied")),
        },
    };
    Ok(bytes
        .chunks_exact(HASH_SIZE)
        .take(usize::from(path.width))
        .map(|c| {
            let mut h = [0u8; HASH_SIZE];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

/// One verified tile: its hashes and every complete subtree above them within the tile.
#[derive(Clone, Debug)]
struct VerifiedTile {
    /// `nodes[h][i]`: the hash of tile hashes `[i·2^h, (i+1)·2^h)`; `nodes[0]` is the tile.
    nodes: Vec<Vec<Hash>>,
}

impl VerifiedTile {
    fn new(hashes: Vec<Hash>) -> VerifiedTile {
        let mut nodes = Vec::with_capacity(9);
        nodes.push(hashes);
        while let Some(prev) = nodes.last() {
            if prev.len() < 2 {
                break;
            }
            let (pairs, _) = prev.as_chunks::<2>();
            let next: Vec<Hash> = pairs.iter().map(|[l, r]| node_hash(l, r)).collect();
            nodes.push(next);
        }
        VerifiedTile { nodes }
    }

    fn width(&self) -> usize {
        self.nodes.first().map_or(0, Vec::len)
    }

    /// The tile's own hash (full tiles only).
    fn tile_hash(&self) -> Option<Hash> {
        if self.width() != usize::from(TILE_WIDTH) {
            return None;
        }
        self.nodes.get(8).and_then(|l| l.first()).copied()
    }
}

/// Hashes of one tree (size and root) read from tiles that have been verified against that
/// root: Go's `TileHashReader`, sans-IO. Every hash it returns is proven to be in the tree.
#[derive(Clone, Debug)]
pub struct TileHashes {
    size: u64,
    root: Hash,
    tiles: BTreeMap<(u8, u64), VerifiedTile>,
}

impl TileHashes {
    /// Reads the tree's partial tiles ([`tiles_for_root`]) from `source` and keeps them only
    /// if they recompute `root`. The empty tree needs no tile and must have [`EMPTY_ROOT`].
    ///
    /// Errors: `NOT_FOUND` (a tile not supplied), `MALFORMED` (a tile of the wrong length),
    /// `LOG_INCONSISTENT` (the tiles do not hash to the root). Messages name the tiles.
    pub fn verify(
        size: u64,
        root: &Hash,
        source: &(impl TileSource + ?Sized),
    ) -> Result<TileHashes> {
        let mut th = TileHashes {
            size,
            root: *root,
            tiles: BTreeMap::new(),
        };
        let paths = tiles_for_root(size);
        for path in &paths {
            let hashes = read_tile_hashes(source, path)?;
            th.tiles.insert(
                (path.level().unwrap_or(0), path.index),
                VerifiedTile::new(hashes),
            );
        }
        let got = merkle::root_from(size, &th)?;
        if &got != root {
            let names: Vec<String> = paths.iter().map(ToString::to_string).collect();
            return fail(
                ErrorCode::LogInconsistent,
                format!(
                    "tiles [{}] do not hash to the root of the log of size {size}",
                    names.join(", ")
                ),
            );
        }
        Ok(th)
    }

    /// The tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The verified root.
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// Whether the tile `(level, index)` has been verified.
    pub fn has_tile(&self, level: u8, index: u64) -> bool {
        self.tiles.contains_key(&(level, index))
    }

    /// Verifies more tiles of this tree and keeps them: each full tile is checked against the
    /// hash its parent tile (verified earlier, or in the same call: parents are taken first)
    /// holds for it. Partial tiles are the root tiles [`TileHashes::verify`] already checked.
    /// Entry-bundle paths are refused (use [`TileHashes::verify_bundle`]).
    ///
    /// Errors: `MALFORMED` (not a tile of this tree: wrong width for this size, a bundle
    /// path, or bytes of the wrong length), `NOT_FOUND` (a tile or its parent missing),
    /// `LOG_INCONSISTENT` (a tile whose hash is not the one its parent holds).
    pub fn load(&mut self, paths: &[TilePath], source: &(impl TileSource + ?Sized)) -> Result<()> {
        let mut paths = paths.to_vec();
        sort_parents_first(&mut paths);
        for path in &paths {
            let Some(level) = path.level() else {
                return fail(
                    ErrorCode::Malformed,
                    format!("{path} is an entry bundle, not a hash tile"),
                );
            };
            let expect = tile_width(self.size, level, path.index);
            if path.width != expect {
                return fail(
                    ErrorCode::Malformed,
                    format!(
                        "{path} is not a tile of the log of size {} (its width there is {expect})",
                        self.size
                    ),
                );
            }
            if self.tiles.contains_key(&(level, path.index)) {
                continue;
            }
            // Not a root tile, so full: authenticate by its parent's hash.
            let parent_hash = self
                .subtree_hash((level + 1).saturating_mul(TILE_HEIGHT as u8), path.index)
                .map_err(|e| e.context(&format!("verifying {path}: its parent tile")))?;
            let tile = VerifiedTile::new(read_tile_hashes(source, path)?);
            if tile.tile_hash() != Some(parent_hash) {
                return fail(
                    ErrorCode::LogInconsistent,
                    format!(
                        "tile {path} does not hash to the value its parent tile holds in the log of size {}",
                        self.size
                    ),
                );
            }
            self.tiles.insert((level, path.index), tile);
        }
        Ok(())
    }

    /// Loads the tiles holding the hashes `coords` (and their parents): [`tiles_for_hashes`]
    /// then [`TileHashes::load`].
    pub fn load_hashes(
        &mut self,
        coords: &[(u8, u64)],
        source: &(impl TileSource + ?Sized),
    ) -> Result<()> {
        let paths = tiles_for_hashes(self.size, coords)?;
        self.load(&paths, source)
    }

    /// The leaf hash of entry `index` (its level-0 tile must be loaded).
    pub fn leaf_hash(&self, index: u64) -> Result<Hash> {
        if index >= self.size {
            return fail(
                ErrorCode::NotInLog,
                format!("entry {index} is not in the log of size {}", self.size),
            );
        }
        self.subtree_hash(0, index)
    }

    /// The inclusion proof of entry `index`, from loaded tiles (load them with
    /// [`TileHashes::load`] and [`tiles_for_inclusion`], or use [`prove_inclusion`]).
    pub fn inclusion_proof(&self, index: u64) -> Result<Vec<Hash>> {
        merkle::inclusion_proof(index, self.size, self)
    }

    /// The consistency proof from size `m` to this tree, from loaded tiles.
    pub fn consistency_proof(&self, m: u64) -> Result<Vec<Hash>> {
        merkle::consistency_proof(m, self.size, self)
    }

    /// The root of the older tree of size `m ≤ size`, from loaded tiles (a client whose
    /// mirror is behind proves the mirror's size against the newer tree it already has).
    pub fn root_at(&self, m: u64) -> Result<Hash> {
        if m > self.size {
            return fail(
                ErrorCode::LogInconsistent,
                format!("size {m} is beyond the log of size {}", self.size),
            );
        }
        merkle::root_from(m, self)
    }

    /// Reads the entry bundle `path` of this tree and checks every entry's leaf hash against
    /// the verified level-0 tile of the same index (REGISTRY.md R6 step 4). The bytes of the
    /// full bundle are accepted for a partial path (fallback); only the first `W` entries are
    /// returned.
    ///
    /// Errors: `MALFORMED` (not a bundle of this tree, bad framing), `NOT_FOUND` (its level-0
    /// tile not loaded), `NOT_IN_LOG` (an entry that does not hash to its tile hash; the
    /// message names its index).
    pub fn verify_bundle<'a>(&self, path: &TilePath, bytes: &'a [u8]) -> Result<Vec<&'a [u8]>> {
        if path.kind != TileKind::Entries {
            return fail(
                ErrorCode::Malformed,
                format!("{path} is a hash tile, not an entry bundle"),
            );
        }
        let expect = tile_width(self.size, 0, path.index);
        if path.width != expect {
            return fail(
                ErrorCode::Malformed,
                format!(
                    "{path} is not a bundle of the log of size {} (its width there is {expect})",
                    self.size
                ),
            );
        }
        let entries =
            parse_bundle_prefix(bytes, path.width).map_err(|e| e.context(&path.to_string()))?;
        let Some(tile) = self.tiles.get(&(0, path.index)) else {
            return fail(
                ErrorCode::NotFound,
                format!("tile/0 for {path} is not loaded"),
            );
        };
        for (i, entry) in entries.iter().enumerate() {
            let index = path.index * u64::from(TILE_WIDTH) + i as u64;
            let want = tile.nodes.first().and_then(|l| l.get(i));
            if want != Some(&leaf_hash(entry)) {
                return fail(
                    ErrorCode::NotInLog,
                    format!("entry {index} in {path} does not hash to its leaf hash in the log"),
                );
            }
        }
        Ok(entries)
    }
}

impl HashSource for TileHashes {
    fn subtree_hash(&self, level: u8, n: u64) -> Result<Hash> {
        let path = tile_for_hash(self.size, level, n)?;
        let tl = level / 8;
        let l = u32::from(level % 8);
        let within = n - (path.index << (TILE_HEIGHT - l));
        let Some(tile) = self.tiles.get(&(tl, path.index)) else {
            return fail(
                ErrorCode::NotFound,
                format!("tile {path} (for hash ({level}, {n})) is not loaded"),
            );
        };
        match tile
            .nodes
            .get(l as usize)
            .and_then(|row| row.get(within as usize))
        {
            Some(h) => Ok(*h),
            None => fail(
                ErrorCode::NotFound,
                format!("tile {path} does not hold hash ({level}, {n})"),
            ),
        }
    }
}

/// The entry bundle holding entry `index` of the tree of `size` (`NOT_IN_LOG` when
/// `index ≥ size`).
pub fn bundle_for_entry(index: u64, size: u64) -> Result<TilePath> {
    if index >= size {
        return fail(
            ErrorCode::NotInLog,
            format!("entry {index} is not in a log of size {size}"),
        );
    }
    let n = index >> TILE_HEIGHT;
    TilePath::entries(n, tile_width(size, 0, n))
}

/// The entry bundles holding entries `[start, end)` of the tree of `size`, in order (a
/// monitor's replay, a client's delta scan). At most [`MAX_DELTA_SCAN_BUNDLES`] bundles per
/// call (`TOO_LARGE`, checked before anything is allocated: a hostile checkpoint may claim
/// 2^64 - 1 entries); a whole-log replay uses [`bundles_for_replay`] (threat model RD13).
/// `NOT_IN_LOG`
/// when `end > size`, `MALFORMED` when `start > end`.
pub fn bundles_for_range(start: u64, end: u64, size: u64) -> Result<Vec<TilePath>> {
    bundles_for_range_within(start, end, size, MAX_DELTA_SCAN_BUNDLES)
}

/// [`bundles_for_range`] for a whole-log replay: at most [`MAX_REPLAY_BUNDLES`] bundles.
pub fn bundles_for_replay(start: u64, end: u64, size: u64) -> Result<Vec<TilePath>> {
    bundles_for_range_within(start, end, size, MAX_REPLAY_BUNDLES)
}

/// The hash tiles needed to check the bundles of [`bundles_for_replay`].
pub fn tiles_for_replay(start: u64, end: u64, size: u64) -> Result<Vec<TilePath>> {
    let coords: Vec<(u8, u64)> = bundles_for_replay(start, end, size)?
        .iter()
        .map(|b| (0u8, b.index() << TILE_HEIGHT))
        .collect();
    tiles_for_hashes(size, &coords)
}

fn bundles_for_range_within(start: u64, end: u64, size: u64, most: usize) -> Result<Vec<TilePath>> {
    if end > size {
        return fail(
            ErrorCode::NotInLog,
            format!("entries up to {end} are not in a log of size {size}"),
        );
    }
    if start > end {
        return fail(
            ErrorCode::Malformed,
            format!("entry range {start}..{end} is backwards"),
        );
    }
    if start == end {
        return Ok(Vec::new());
    }
    let bundles = ((end - 1) >> TILE_HEIGHT) - (start >> TILE_HEIGHT) + 1;
    if bundles > most as u64 {
        return fail(
            ErrorCode::TooLarge,
            format!("entries {start}..{end} span {bundles} bundles, more than {most} at once"),
        );
    }
    ((start >> TILE_HEIGHT)..=((end - 1) >> TILE_HEIGHT))
        .map(|n| TilePath::entries(n, tile_width(size, 0, n)))
        .collect()
}

/// The hash tiles needed to check the bundles of [`bundles_for_range`]: the root tiles, the
/// level-0 tile of each bundle, and their parents.
pub fn tiles_for_range(start: u64, end: u64, size: u64) -> Result<Vec<TilePath>> {
    let coords: Vec<(u8, u64)> = bundles_for_range(start, end, size)?
        .iter()
        .map(|b| (0u8, b.index() << TILE_HEIGHT))
        .collect();
    tiles_for_hashes(size, &coords)
}

/// The bytes of bundle `path` from the source, or those of its full bundle when the partial
/// one is absent (the fallback; [`TileHashes::verify_bundle`] then uses the prefix).
pub fn bundle_bytes<'a>(
    source: &'a (impl TileSource + ?Sized),
    path: &TilePath,
) -> Result<&'a [u8]> {
    match source.tile(path) {
        Some(b) => Ok(b),
        None => match path
            .is_partial()
            .then(|| source.tile(&path.full()))
            .flatten()
        {
            Some(b) => Ok(b),
            None => fail(
                ErrorCode::NotFound,
                format!("bundle {path} was not supplied"),
            ),
        },
    }
}

/// One-shot client helper (REGISTRY.md R6 step 4): the bytes of entry `index`, read from its
/// entry bundle and proven to be in the tree of `size` with `root` (the bundle's entries hash
/// to the verified level-0 tile, which the root authenticates). The host supplies
/// [`tiles_for_inclusion`]`(index, size)` and [`bundle_for_entry`]`(index, size)` (or the
/// full bundle).
pub fn read_entry(
    index: u64,
    size: u64,
    root: &Hash,
    source: &(impl TileSource + ?Sized),
) -> Result<Vec<u8>> {
    let path = bundle_for_entry(index, size)?;
    let mut th = TileHashes::verify(size, root, source)?;
    th.load(&tiles_for_inclusion(index, size)?, source)?;
    let entries = th.verify_bundle(&path, bundle_bytes(source, &path)?)?;
    let within = (index - (path.index() << TILE_HEIGHT)) as usize;
    match entries.get(within) {
        Some(e) => Ok(e.to_vec()),
        None => fail(
            ErrorCode::NotInLog,
            format!("entry {index} is not in bundle {path}"),
        ),
    }
}

/// One-shot client helper: verifies the tree's root tiles, loads the tiles for entry
/// `index`, and returns its leaf hash and inclusion proof (already checked against `root`).
pub fn prove_inclusion(
    index: u64,
    size: u64,
    root: &Hash,
    source: &(impl TileSource + ?Sized),
) -> Result<(Hash, Vec<Hash>)> {
    let mut th = TileHashes::verify(size, root, source)?;
    th.load(&tiles_for_inclusion(index, size)?, source)?;
    let leaf = th.leaf_hash(index)?;
    let proof = th.inclusion_proof(index)?;
    merkle::verify_inclusion(index, size, &leaf, &proof, root)?;
    Ok((leaf, proof))
}

/// One-shot client helper: verifies the tree of size `n` against `root_n`, builds the
/// consistency proof from size `m` from its tiles, and checks it against `root_m`.
pub fn prove_consistency(
    m: u64,
    n: u64,
    root_m: &Hash,
    root_n: &Hash,
    source: &(impl TileSource + ?Sized),
) -> Result<Vec<Hash>> {
    let mut th = TileHashes::verify(n, root_n, source)?;
    th.load(&tiles_for_consistency(m, n)?, source)?;
    let proof = th.consistency_proof(m)?;
    merkle::verify_consistency(m, n, root_m, root_n, &proof)?;
    Ok(proof)
}

/// A file the publisher writes: a hash tile or an entry bundle, immutable once written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileFile {
    /// Where it goes under the log prefix.
    pub path: TilePath,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The result of [`Publisher::append`]: the files to write (before the new checkpoint), and
/// the new tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// New tree size.
    pub size: u64,
    /// New root.
    pub root: Hash,
    /// Tiles and bundles to write: every tile and bundle that became full, then the new
    /// partial ones, in order.
    pub files: Vec<TileFile>,
}

/// The publisher's side of a tiled log: the rightmost (partial) tile at every level and the
/// partial entry bundle, enough to append (Go's `StoredHashes` + `NewTiles`). Resume it from
/// the stored tiles of a tree ([`Publisher::resume`]), append, write the files, then sign
/// and write the checkpoint.
#[derive(Clone, Debug, Default)]
pub struct Publisher {
    size: u64,
    /// `levels[L]`: the hashes of the partial tile at level `L` (fewer than 256).
    levels: Vec<Vec<Hash>>,
    /// The entries of the partial bundle (fewer than 256).
    bundle: Vec<Vec<u8>>,
}

impl Publisher {
    /// The publisher of an empty log.
    pub fn new() -> Publisher {
        Publisher::default()
    }

    /// Resumes a log of `size` with `root` from its stored rightmost tiles and partial bundle
    /// (the host supplies [`tiles_for_root`]`(size)` and the bundle
    /// `tile/entries/<size/256>.p/<size%256>`); all are verified against `root` first.
    pub fn resume(
        size: u64,
        root: &Hash,
        source: &(impl TileSource + ?Sized),
    ) -> Result<Publisher> {
        let th = TileHashes::verify(size, root, source)?;
        let mut levels = Vec::new();
        for level in 0..=7u8 {
            let count = size
                .checked_shr(u32::from(level) * TILE_HEIGHT)
                .unwrap_or(0);
            if count == 0 {
                break;
            }
            let hashes = th
                .tiles
                .get(&(level, count >> TILE_HEIGHT))
                .and_then(|t| t.nodes.first())
                .filter(|_| !count.is_multiple_of(u64::from(TILE_WIDTH)))
                .cloned()
                .unwrap_or_default();
            levels.push(hashes);
        }
        let mut bundle = Vec::new();
        let w = (size % u64::from(TILE_WIDTH)) as u16;
        if w > 0 {
            let path = TilePath::entries(size >> TILE_HEIGHT, w)?;
            let Some(bytes) = source.tile(&path) else {
                return fail(
                    ErrorCode::NotFound,
                    format!("bundle {path} was not supplied"),
                );
            };
            bundle = th
                .verify_bundle(&path, bytes)?
                .into_iter()
                .map(<[u8]>::to_vec)
                .collect();
        }
        Ok(Publisher {
            size,
            levels,
            bundle,
        })
    }

    /// The current tree size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The current root.
    pub fn root(&self) -> Hash {
        merkle::root_from(self.size, self).unwrap_or(EMPTY_ROOT)
    }

    /// Appends `entries` (each ≤ 65,535 bytes; `TOO_LARGE` otherwise, checked before anything
    /// changes) and returns the files to write and the new root.
    pub fn append<E: AsRef<[u8]>>(&mut self, entries: &[E]) -> Result<Appended> {
        for (i, e) in entries.iter().enumerate() {
            let len = e.as_ref().len();
            if len > MAX_ENTRY_BYTES {
                return fail(
                    ErrorCode::TooLarge,
                    format!(
                        "entry {} has {len} bytes, over the limit of {MAX_ENTRY_BYTES}",
                        self.size.saturating_add(i as u64)
                    ),
                );
            }
        }
        let old = self.size;
        if old
            .checked_add(entries.len() as u64)
            .is_none_or(|s| s > u64::MAX >> 1)
        {
            return fail(ErrorCode::TooLarge, "the log would outgrow 2^63 entries");
        }
        let mut files = Vec::new();
        for e in entries {
            self.bundle.push(e.as_ref().to_vec());
            let mut hash = leaf_hash(e.as_ref());
            self.size += 1;
            if self.bundle.len() == usize::from(BUNDLE_WIDTH) {
                let bytes = write_bundle(&self.bundle)?;
                files.push(TileFile {
                    path: TilePath::entries((self.size >> TILE_HEIGHT) - 1, TILE_WIDTH)?,
                    bytes,
                });
                self.bundle.clear();
            }
            let mut level = 0u8;
            loop {
                if self.levels.len() <= usize::from(level) {
                    self.levels.push(Vec::new());
                }
                let Some(row) = self.levels.get_mut(usize::from(level)) else {
                    break;
                };
                row.push(hash);
                if row.len() < usize::from(TILE_WIDTH) {
                    break;
                }
                let count = self.size >> (u32::from(level) * TILE_HEIGHT);
                let mut bytes = Vec::with_capacity(FULL_TILE_BYTES);
                for h in row.iter() {
                    bytes.extend_from_slice(h);
                }
                hash = run_hash(row);
                row.clear();
                files.push(TileFile {
                    path: TilePath::hashes(level, (count >> TILE_HEIGHT) - 1, TILE_WIDTH)?,
                    bytes,
                });
                level += 1;
            }
        }
        if self.size != old {
            for (level, row) in self.levels.iter().enumerate() {
                let shift = level as u32 * TILE_HEIGHT;
                let changed = old.checked_shr(shift) != self.size.checked_shr(shift);
                if !row.is_empty() && changed {
                    let mut bytes = Vec::with_capacity(row.len() * HASH_SIZE);
                    for h in row {
                        bytes.extend_from_slice(h);
                    }
                    files.push(TileFile {
                        path: TilePath::hashes(
                            level as u8,
                            self.size >> shift >> TILE_HEIGHT,
                            row.len() as u16,
                        )?,
                        bytes,
                    });
                }
            }
            if !self.bundle.is_empty() {
                files.push(TileFile {
                    path: TilePath::entries(self.size >> TILE_HEIGHT, self.bundle.len() as u16)?,
                    bytes: write_bundle(&self.bundle)?,
                });
            }
        }
        Ok(Appended {
            size: self.size,
            root: self.root(),
            files,
        })
    }
}

impl HashSource for Publisher {
    /// Only the hashes inside the partial tiles (all a root needs).
    fn subtree_hash(&self, level: u8, n: u64) -> Result<Hash> {
        let path = tile_for_hash(self.size, level, n)?;
        let tl = level / 8;
        let l = u32::from(level % 8);
        let start = (n << l) - (path.index << TILE_HEIGHT);
        let row = self
            .levels
            .get(usize::from(tl))
            .filter(|_| path.is_partial());
        match row.and_then(|r| r.get(start as usize..(start + (1u64 << l)) as usize)) {
            Some(run) => Ok(run_hash(run)),
            None => fail(
                ErrorCode::NotFound,
                format!("hash ({level}, {n}) is not in the publisher's partial tiles"),
            ),
        }
    }
}
