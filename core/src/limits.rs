//! Limits: every size bound omega-core enforces, in one place (documented in docs/format.md).
//! Input over a limit is refused with `TOO_LARGE`, before it is parsed further.

/// Largest `.omega/manifest.json`, in bytes.
pub const MAX_MANIFEST_BYTES: usize = 32 * 1024 * 1024;
/// Most files in one package (manifest `files`, or a directory being digested).
pub const MAX_FILES: usize = 100_000;
/// Largest single file, in bytes: a package file on disk (checked with `fstat` before any byte
/// is hashed) or a tarball entry (checked on its header). Bounds the work one file can cost.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;
/// Deepest path in a tarball, in folders below the leading one (node-tar's `maxDepth`: npm
/// silently skips deeper entries).
pub const MAX_TARBALL_PATH_DEPTH: usize = 1024;
/// Longest relative path, in bytes.
pub const MAX_PATH_BYTES: usize = 4096;
/// Longest path component, in bytes.
pub const MAX_COMPONENT_BYTES: usize = 255;
/// Largest signature file (`.minisig`), in bytes.
pub const MAX_SIGNATURE_FILE_BYTES: usize = 1024 * 1024;
/// Most signature blocks in one signature file.
pub const MAX_SIGNATURE_BLOCKS: usize = 64;
/// Longest untrusted comment line, in bytes, prefix included (minisign's COMMENTMAXBYTES).
pub const MAX_UNTRUSTED_COMMENT_BYTES: usize = 1024;
/// Longest trusted comment, in bytes, prefix excluded (minisign's TRUSTEDCOMMENTMAXBYTES).
pub const MAX_TRUSTED_COMMENT_BYTES: usize = 8192;
/// Largest lock file, in bytes.
pub const MAX_LOCK_BYTES: usize = 64 * 1024 * 1024;
/// Most packages in one lock file.
pub const MAX_LOCK_PACKAGES: usize = 100_000;
/// Most keys (signers + next) one package may declare.
pub const MAX_KEYS: usize = 256;
/// Largest revocation statement, in bytes.
pub const MAX_REVOCATION_BYTES: usize = 64 * 1024;
/// Longest package name (npm's rule).
pub const MAX_NAME_BYTES: usize = 214;
/// Longest version string.
pub const MAX_VERSION_BYTES: usize = 256;
/// Largest message verified with a legacy (`Ed`, non-prehashed) signature; legacy mode has
/// to hold the whole message in memory.
pub const MAX_LEGACY_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// Largest key file (public or secret), in bytes.
pub const MAX_KEY_FILE_BYTES: usize = 4096;
/// Largest scrypt memory a secret-key file may demand (minisign's default is 1 GiB).
pub const MAX_SCRYPT_MEMORY_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Longest signify untrusted comment, in bytes, prefix excluded (signify's COMMENTMAXLEN
/// 1024, NUL included).
pub const MAX_SIGNIFY_COMMENT_BYTES: usize = 1023;
/// Largest message a signify signature covers, in bytes (signify's own limit, 1 GiB: the
/// signature is over the message itself, held in memory).
pub const MAX_SIGNIFY_MESSAGE_BYTES: usize = 1 << 30;
/// Largest gzip header of a signify-signed `.tgz` (the comment holds one 65-byte hash line per
/// block: 16 MiB covers 16 GiB of payload in 64 KiB blocks).
pub const MAX_SIGNIFY_GZIP_HEADER_BYTES: usize = 16 * 1024 * 1024;
/// Largest `blocksize=` a signify gzip signature may declare (signify writes 65536).
pub const MAX_SIGNIFY_BLOCK_BYTES: usize = 64 * 1024 * 1024;
/// Most bcrypt_pbkdf rounds a signify secret-key file may demand (signify writes 42).
pub const MAX_SIGNIFY_KDF_ROUNDS: u32 = 1000;

// Registry side (REGISTRY.md R6): transparency log, notes, entries, indexes.

/// Largest signed note (checkpoint, index note, cosigned checkpoint), in bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;
/// Most signature lines one note may carry (C2SP asks verifiers to accept at least 16).
pub const MAX_NOTE_SIGNATURES: usize = 64;
/// Largest log entry, in bytes (the tlog-tiles entry-bundle length prefix is a uint16).
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// Largest statement (the compact JSON line of an entry), in bytes.
pub const MAX_STATEMENT_BYTES: usize = 16 * 1024;
/// Most minisign signature blocks on one log entry.
pub const MAX_ENTRY_SIGNATURES: usize = 16;
/// Largest per-package index note, in bytes.
pub const MAX_INDEX_BYTES: usize = 1024 * 1024;
/// Most entry bundles a client scans after an index's `as-of` (the delta scan).
pub const MAX_DELTA_SCAN_BUNDLES: usize = 256;
/// Most entry bundles of a whole-log replay (first use, `omega log verify`, a binding opening
/// a registry): 65,536 bundles = 16,777,216 entries. The paths are listed before anything is
/// fetched (a checkpoint signed by the log key may still claim 2^64 - 1 entries).
pub const MAX_REPLAY_BUNDLES: usize = 65_536;
/// Largest client policy text (tlog-policy subset), in bytes.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
/// Longest key name in a vkey or a signature line, in bytes.
pub const MAX_KEY_NAME_BYTES: usize = 256;
/// Longest registry URL in a lock file, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// Largest entry bundle (`tile/entries/…`), in bytes: 256 entries of 65,535 bytes, each with
/// its 2-byte length prefix.
pub const MAX_BUNDLE_BYTES: usize = 256 * (2 + MAX_ENTRY_BYTES);
/// Longest tile path (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`), in bytes; the
/// longest valid one (`tile/entries/` + 7 index groups + `.p/255`) has 53.
pub const MAX_TILE_PATH_BYTES: usize = 64;

/// Longest security-notice `id` in a `notice` statement, in bytes.
pub const MAX_NOTICE_ID_BYTES: usize = 128;
/// Most `affected` sequence ranges in one `notice` statement.
pub const MAX_NOTICE_RANGES: usize = 256;
/// Largest saved registry replay state (`RegistryState::to_json_bytes`) this build reads.
pub const MAX_REGISTRY_STATE_BYTES: usize = 256 * 1024 * 1024;
/// Largest piece of a per-name saved state (`state_store`: its header, a bucket, a name's
/// record) this build reads.
pub const MAX_STATE_PIECE_BYTES: usize = 64 * 1024 * 1024;
/// Most bytes a [`crate::driver::Reader`] accepts in all (checkpoint, tiles, bundles, index
/// notes, objects): the bound on what a host fetches for one registry session.
pub const MAX_READER_FETCH_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// Largest `max_age` (seconds) a lock's registry pin may hold: 30 days. A larger value is a
/// frozen registry (a mirror serving an old checkpoint stays "fresh" for ever): `MALFORMED`
/// naming the origin (threat model RR17).
pub const MAX_REGISTRY_MAX_AGE: u64 = 30 * 86_400;
/// Most paths a [`crate::driver::Reader`] asks for at once ([`crate::driver::Reader::needs`]):
/// a host fetches and holds at most this many files per round.
pub const MAX_READER_ROUND_PATHS: usize = 64;
