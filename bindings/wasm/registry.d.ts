// Types of registry.js (the browser's registry reader; issue 15).
import type { OmegaReleaseInfo, OmegaNotice, OmegaRegistryCheckpoint } from './omega.js';

export interface OmegaRegistryOptions {
  /** The registry's tlog-policy text (obtained another way than plain http). */ policy: string;
  /** The note stored from an earlier `checkpoint().keep`: the registry must be consistent with it. */ checkpoint?: string | null;
  /** The genesis hash stored with it (hex). */ genesis?: string | null;
  /** The fetch to use (default: the global fetch). */ fetch?: (url: string) => Promise<Response>;
  /** Unix seconds; null: offline (freshness not checked); default: the clock. */ now?: number | null;
  /** Freshness bound in seconds (default 86400). */ maxAge?: number;
}
export interface OmegaRelease extends OmegaReleaseInfo {
  /** The verified tarball. */ tarball: Uint8Array;
  /** The verified `.omega/manifest.json` bytes. */ manifest: Uint8Array;
  checkpoint: OmegaRegistryCheckpoint;
}
export interface OmegaRegistry {
  readonly url: string;
  release(name: string, version?: string | null, options?: { acceptNotices?: string[]; allowYanked?: boolean }): Promise<OmegaRelease>;
  notices(name: string, sequence?: number | null): Promise<OmegaNotice[]>;
  checkpoint(): Promise<OmegaRegistryCheckpoint>;
  /** The replayed registry state (omega-core's RegistryState JSON), once verified. */
  state(): Promise<Record<string, unknown>>;
  evidence(): string | null;
}
export function openRegistry(url: string, options: OmegaRegistryOptions): OmegaRegistry;
