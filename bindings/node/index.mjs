// ESM entry of omega-verify: the same Ω as the CommonJS entry (index.js).
//   import Ω from 'omega-verify';
//   import { Ω, digestDir, checkPackage } from 'omega-verify';
import Ω from './index.js';

export default Ω;
export { Ω, Ω as omega };
export const {
  sync, digestDir, digestDirSync, checkPackage, checkPackageSync, verifyFile, verifyFileAsync,
  blake2b256, verifyEd25519, engine, OmegaError,
} = Ω;
// Log verification (lib/log.js).
export const {
  verifyNote, verifyCheckpoint, parsePolicy, verifyIndex, leafHash, merkleRoot, verifyInclusion,
  verifyConsistency, tilesForRoot, tilesForInclusion, tilesForConsistency, bundleForEntry,
  proveInclusion, proveConsistency, readEntry, parseTilePath, parseBundle, parseStatement,
  parseEntry, replayLog,
} = Ω;
// The registry reader (lib/registry.js).
export const { registry, openRegistry } = Ω;
