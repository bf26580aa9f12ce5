// Type definitions for omega-verify (the Ωpm verifier for Node). docs/node.md has the guide.

/// <reference types="node" />

declare namespace Ω {
  /** The DESIGN §4 error codes. */
  type ErrorCode =
    | 'MALFORMED'
    | 'UNSUPPORTED_VERSION'
    | 'SIGNATURE_INVALID'
    | 'KEY_NOT_TRUSTED'
    | 'KEY_REVOKED'
    | 'THRESHOLD_NOT_MET'
    | 'LEGACY_SIGNATURE_REFUSED'
    | 'DIGEST_MISMATCH'
    | 'FILE_MISSING'
    | 'FILE_EXTRA'
    | 'FILE_CHANGED'
    | 'UNSAFE_PATH'
    | 'UNSUPPORTED_FILE_TYPE'
    | 'ROLLBACK'
    | 'NOT_FOUND'
    | 'IO'
    | 'TOO_LARGE'
    | 'LOG_INCONSISTENT'
    | 'NOT_IN_LOG'
    | 'QUORUM_NOT_MET'
    | 'STALE';

  /** A `b2tree:` digest: `b2tree:` and 64 lowercase hex digits. */
  type TreeDigest = `b2tree:${string}`;

  /** A public key: the bare `RW…` line, or the text of a minisign/signify key file. */
  type PublicKey = string;

  /** One problem found by a check. */
  interface Problem {
    code: ErrorCode;
    /** The file concerned (package-relative), for file and signature problems. */
    path: string | null;
    /** The key concerned, for signature problems. */
    key: string | null;
    /** A sentence that names the package and the file or key. */
    message: string;
  }

  /** The verdict on one signature block of `.omega/manifest.json.minisig` (core's
   * `SignatureReport`, the same name as in Python, Swift and WASM). */
  interface SignatureReport {
    key_id: string;
    /** The pinned key that made it, when one has its key id. */
    key: string | null;
    trusted_comment: string;
    /** null when the block counts; otherwise why not. */
    error: ErrorCode | null;
  }
  /** @deprecated the earlier name of {@link SignatureReport}. */
  type SignatureVerdict = SignatureReport;

  /** The report of a package check: the same object as `omega check --json` prints. */
  interface Report {
    ok: boolean;
    /** Code of the first problem (null when ok). */
    code: ErrorCode | null;
    message: string | null;
    /** Package name from the manifest, or the label. */
    package: string;
    version: string | null;
    sequence: number | null;
    /** Number of files found. */
    files: number;
    /** Digest of the files as found. */
    tree: TreeDigest;
    /** Digest the manifest declares. */
    manifest_tree: TreeDigest | null;
    /** Digest the caller pinned. */
    pinned_digest: TreeDigest | null;
    threshold: number;
    /** Distinct pinned keys with a valid signature. */
    signed_by: string[];
    signatures: SignatureReport[];
    problems: Problem[];
  }

  /** Every refusal: an Error with a DESIGN §4 code; a failed check also carries its report. */
  class OmegaError extends Error {
    constructor(code: ErrorCode, message: string, report?: Report);
    readonly name: 'OmegaError';
    readonly code: ErrorCode;
    /** The report of a failed package check (`ok` is false). */
    readonly report?: Report;
    /** The file whose load was refused (enforcing mode). */
    readonly file?: string;
    /** The message without its `CODE: ` prefix. */
    readonly detail: string;
  }

  interface LoadOptions {
    /** Keys that must have signed the package's manifest. */
    keys?: PublicKey | PublicKey[];
    /** How many distinct `keys` must have signed (default 1). */
    threshold?: number;
    /** Allow legacy (non-prehashed) minisign signatures. */
    legacy?: boolean;
    /** Check against this lock file's entry (digest and signing keys); `true`: the nearest
     * omega.lock above the caller (or OMEGA_LOCK). */
    lock?: string | boolean;
  }

  interface Pins {
    /** The expected `b2tree:` digest. */
    digest?: TreeDigest | string | null;
    keys?: PublicKey | PublicKey[];
    threshold?: number;
    legacy?: boolean;
  }

  interface CheckOptions extends Pins {
    /** Check as an installed package: leave out its top-level node_modules/. */
    installed?: boolean;
    /** Names the package in messages (default: the directory). */
    label?: string;
  }

  interface DigestOptions {
    /** Digest as an installed package: leave out its top-level node_modules/. */
    installed?: boolean;
  }

  interface VerifyFileOptions {
    publicKey: PublicKey | Uint8Array;
    /** The signature file's path (default: the file's path + ".minisig"), or its contents. */
    signature?: string | Uint8Array;
    legacy?: boolean;
  }

  interface Verified {
    /** The signature's trusted comment (authenticated). */
    trustedComment: string;
  }

  type Callback<T> = (err: OmegaError | Error | null, exports?: T) => void;

  /** Ω.sync(name, digest[, options]): verifies, then requires, synchronously. */
  function sync<T = any>(name: string, digest: TreeDigest | string | null, options?: LoadOptions): T;
  /** Promise of the `b2tree:` digest of a directory; hashing runs off the main thread. */
  function digestDir(dir: string, options?: DigestOptions): Promise<string>;
  /** The `b2tree:` digest of a directory. */
  function digestDirSync(dir: string, options?: DigestOptions): string;
  /** Checks a package directory; rejects with an OmegaError carrying `.report` on failure. */
  function checkPackage(dir: string, options: CheckOptions): Promise<Report>;
  /** The same, synchronously. */
  function checkPackageSync(dir: string, options: CheckOptions): Report;
  /** Verifies a file's minisign signature. */
  function verifyFile(file: string, options: VerifyFileOptions): Verified;
  /** The same, as a promise (hashing off the main thread). */
  function verifyFileAsync(file: string, options: VerifyFileOptions): Promise<Verified>;
  /** BLAKE2b-256 (unkeyed, 32 bytes). */
  function blake2b256(data: Uint8Array | ArrayBuffer | string): Buffer;
  /** Strict Ed25519 verification of a raw signature (32-byte key, 64-byte signature). */
  function verifyEd25519(publicKey: Uint8Array, message: Uint8Array | string, signature: Uint8Array): boolean;
  /**
   * Applies a signed revocation statement (`{"omega-revoke": 1, name, key, reason}` and its
   * minisign signature text) to the bytes of an omega.lock; returns the new lock's bytes.
   * Throws an OmegaError (`KEY_NOT_TRUSTED`, `THRESHOLD_NOT_MET`, `SIGNATURE_INVALID`,
   * `KEY_REVOKED`, `NOT_FOUND`, `MALFORMED`) and changes nothing otherwise.
   */
  function applyRevocation(lock: Uint8Array | string, statement: Uint8Array | string, signature: Uint8Array | string): Buffer;
  /** Which build of omega-core runs. */
  const engine: 'native' | 'wasm';
  /** The same function under ASCII and Greek names (`import { Ω, omega } from 'omega-verify'`). */
  const omega: OmegaApi;
  const Ω: OmegaApi;
}

/** The whole API: the function Ω and its members. */
type OmegaApi = typeof Ω;

/**
 * Verifies package `name` (resolved as `require` would from the calling file) against `digest`
 * (and keys or a lock entry, when given), then loads it with `require`.
 * With a callback: `cb(err, exports)`; without: a promise of the exports.
 */
declare function Ω<T = any>(name: string, digest: Ω.TreeDigest | string | null, callback: Ω.Callback<T>): void;
declare function Ω<T = any>(name: string, digest: Ω.TreeDigest | string | null, options: Ω.LoadOptions | undefined, callback: Ω.Callback<T>): void;
declare function Ω<T = any>(name: string, digest: Ω.TreeDigest | string | null, options?: Ω.LoadOptions): Promise<T>;

// signify (detached signatures made by `signify -S`).
declare namespace Ω {
  /**
   * Verifies a detached signify signature (`.sig` contents) over `message` with `publicKey`
   * (key-file text or `RW…`): signify's parsing rules, omega's strict Ed25519. Throws an
   * OmegaError (SIGNATURE_INVALID, KEY_NOT_TRUSTED, MALFORMED …) when it does not verify.
   */
  function verifySignify(message: Uint8Array | string, signatureText: Uint8Array | string, publicKey: string): void;
}

// Log verification (lib/log.js; docs/registry.md "Bindings: log verification"). Hashes are
// lowercase hex strings in and out; sizes and indexes non-negative safe integers.
declare namespace Ω {
  type Bytes = Uint8Array | ArrayBuffer | string;
  /** Tile path ("tile/0/x001/234.p/5", "tile/entries/000") -> the bytes served there. */
  type Tiles = Map<string, Uint8Array | ArrayBuffer> | Record<string, Uint8Array | ArrayBuffer>;
  interface NoteSigner { name: string; keyId: string; type: number; timestamp: number | null }
  interface VerifiedNote { verified: NoteSigner[] }
  /** "fresh" (asOf: the quorum's time), "not_witnessed" (quorum none), "not_checked" (no `now`). */
  interface Freshness { state: 'fresh' | 'not_witnessed' | 'not_checked'; asOf: number | null }
  interface VerifiedCheckpoint {
    origin: string; size: number; /** hex */ root: string; extensions: string[];
    witnesses: { name: string; time: number }[]; freshness: Freshness;
    /** The vkey that signed. */ logKey: string; /** The whole signed note, to store. */ note: string;
  }
  interface ParsedPolicy { text: string; logs: string[]; witnesses: { name: string; vkey: string }[] }
  interface VerifiedIndex { origin: string; name: string; asOf: number; expires: number; lines: string[]; text: string }
  interface TilePathInfo { kind: 'hashes' | 'entries'; level: number | null; index: number; width: number }
  interface ParsedStatement { type: string; name: string | null; text: string }
  interface ParsedEntry { type: string; name: string | null; statement: string; signatures: string[]; text: string }
  interface ReplayResult {
    verdicts: string[]; errors: { index: number; code: ErrorCode; message: string }[];
    genesis: string | null; state: Record<string, unknown> | null;
  }

  /** The trusted keys (vkeys `name+hex8+base64`) that signed a C2SP signed note. */
  function verifyNote(note: Bytes, vkeys: string[]): VerifiedNote;
  /** A checkpoint verified under a tlog-policy; without `now` (Unix seconds): offline. `maxAge` defaults to 86400. */
  function verifyCheckpoint(note: Bytes, policy: string, options?: { now?: number | null; maxAge?: number }): VerifiedCheckpoint;
  function parsePolicy(policy: string): ParsedPolicy;
  function verifyIndex(note: Bytes, indexKey: string, options: { origin: string; name: string; checkpointSize: number; now?: number | null }): VerifiedIndex;
  function leafHash(entry: Bytes): string;
  function merkleRoot(entries: Bytes[]): string;
  /** `leaf`: a leaf hash (hex string) or the entry's bytes. Returns true or throws (NOT_IN_LOG, MALFORMED). */
  function verifyInclusion(index: number, size: number, leaf: string | Uint8Array | ArrayBuffer, proof: string[], root: string): true;
  /** Returns true or throws (LOG_INCONSISTENT, MALFORMED). */
  function verifyConsistency(size1: number, size2: number, root1: string, root2: string, proof: string[]): true;
  function tilesForRoot(size: number): string[];
  function tilesForInclusion(index: number, size: number): string[];
  function tilesForConsistency(size1: number, size2: number): string[];
  function bundleForEntry(index: number, size: number): string;
  function proveInclusion(index: number, size: number, root: string, tiles: Tiles): { leafHash: string; proof: string[] };
  function proveConsistency(size1: number, size2: number, root1: string, root2: string, tiles: Tiles): { proof: string[] };
  function readEntry(index: number, size: number, root: string, tiles: Tiles): Buffer;
  function parseTilePath(path: string): TilePathInfo;
  function parseBundle(bundle: Bytes, width: number): Buffer[];
  function parseStatement(statement: Bytes): ParsedStatement;
  function parseEntry(entry: Bytes): ParsedEntry;
  /** Replays entries from the genesis; invalid ones are skipped unless `stop`. */
  function replayLog(entries: Bytes[], options?: { stop?: boolean }): ReplayResult;
}

// The registry reader (lib/registry.js; issue 15): every step and check is omega-core's
// (`omega_core::driver`); the host's fetch moves the bytes.
declare namespace Ω {
  interface Notice {
    id: string; severity: 'low' | 'medium' | 'high' | 'critical'; summary: string; entry: number;
    affected: { from: number; to: number }[]; fixed: number | null; url: string | null;
  }
  interface RegistryCheckpoint extends VerifiedCheckpoint {
    /** The checkpoint note to store (never older than the one given): pass it as `checkpoint` next time. */ keep: string;
    /** SHA-256 of entry 0 (hex): pass it as `genesis` next time. */ genesis: string;
    /** The tree releases are proven against (the stored one when a mirror is behind). */ proven: { size: number; root: string };
  }
  interface RegistryRelease {
    name: string; version: string; sequence: number; entry: number; tree: string; size: number;
    manifestHash: string; tarballHash: string; report: Report;
    /** The current owners entry, its serial and active keys (pin them: `ownerKeys` next time). */
    owners: { entry: number; serial: number; keys: string[] };
    advisories: {
      yanked: { entry: number; reason: string } | null; notices: Notice[];
      revokedSigners: { key: string; entry: number; reason: string }[];
    };
    /** The verified tarball (its BLAKE2b-256 is `tarballHash`, its size `size`). */ tarball: Buffer;
    /** The verified `.omega/manifest.json` bytes. */ manifest: Buffer;
    checkpoint: RegistryCheckpoint;
  }
  interface RegistryOptions {
    /** The registry's tlog-policy text (obtained another way than plain http). */ policy: string;
    /** The note stored from an earlier `checkpoint().keep`: the registry must be consistent with it. */ checkpoint?: string | null;
    /** The genesis hash stored with it (hex). */ genesis?: string | null;
    /** The fetch to use (default: the global fetch). */ fetch?: (url: string) => Promise<Response>;
    /** Unix seconds: a fixed clock (default: the clock, read at each call; the registry is opened again after 60 s). */ now?: number;
    /** Skip freshness (not with `now`). */ offline?: boolean;
    /** Ends every fetch (e.g. `AbortSignal.timeout(ms)`). */ signal?: AbortSignal;
    /** Freshness bound in seconds (default 86400). */ maxAge?: number;
  }
  interface Registry {
    readonly url: string;
    /** The verified release (`version`, else the latest unyanked one). */
    release(name: string, version?: string | null, options?: { acceptNotices?: string[]; allowYanked?: boolean; ownerKeys?: string[] }): Promise<RegistryRelease>;
    /** The notices of `name` (those affecting `sequence` when given). */
    notices(name: string, sequence?: number | null): Promise<Notice[]>;
    /** The verified checkpoint; store `keep` and `genesis`. */
    checkpoint(): Promise<RegistryCheckpoint>;
    /** The evidence text of a LOG_INCONSISTENT verdict, or null. */
    evidence(): string | null;
  }
  /** A reader of the static Ωpm registry at `url` (nothing is fetched until the first call). */
  function registry(url: string, options: RegistryOptions): Registry;
  /** The same as `registry` (the browser build's name). */
  function openRegistry(url: string, options: RegistryOptions): Registry;
}

export = Ω;
