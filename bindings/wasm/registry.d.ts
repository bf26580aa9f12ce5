// Types of registry.js (the browser's registry reader; issue 15).
import type { OmegaReleaseInfo, OmegaNotice, OmegaRegistryCheckpoint } from './omega_full.js';

export interface OmegaRegistryOptions {
  /** The registry's tlog-policy text (obtained another way than plain http). */ policy: string;
  /** The note stored from an earlier `checkpoint().keep`: the registry must be consistent with it. */ checkpoint?: string | null;
  /** The genesis hash stored with it (hex). */ genesis?: string | null;
  /** The fetch to use (default: the global fetch). */ fetch?: (url: string) => Promise<Response>;
  /** Unix seconds: a fixed clock (default: the clock, read at each call; the registry is opened again after 60 s). */ now?: number;
  /** Skip freshness (not with `now`). */ offline?: boolean;
  /** Ends every fetch (e.g. `AbortSignal.timeout(ms)`). */ signal?: AbortSignal;
  /** Freshness bound in seconds (default 86400). */ maxAge?: number;
}
export interface OmegaRelease extends OmegaReleaseInfo {
  /** The verified tarball. */ tarball: Uint8Array;
  /** The verified `.omega/manifest.json` bytes. */ manifest: Uint8Array;
  checkpoint: OmegaRegistryCheckpoint;
}
export interface OmegaRegistry {
  readonly url: string;
  release(name: string, version?: string | null, options?: { acceptNotices?: string[]; allowYanked?: boolean; ownerKeys?: string[] }): Promise<OmegaRelease>;
  notices(name: string, sequence?: number | null): Promise<OmegaNotice[]>;
  checkpoint(): Promise<OmegaRegistryCheckpoint>;
  /** The replayed registry state (omega-core's RegistryState JSON), once verified. */
  state(): Promise<Record<string, unknown>>;
  evidence(): string | null;
}
export function openRegistry(url: string, options: OmegaRegistryOptions): OmegaRegistry;
/** Core's driver::REFRESH_SECONDS (60): a call re-opens the registry when its last open is this old (seconds; the rule is core's RegistryReader.needsReopen). */
export const REFRESH_SECONDS: number;
/** The body of `res`, streamed; TOO_LARGE past `cap` bytes (before reading when Content-Length is over it). */
export function readCapped(res: Response, cap: number, where: string): Promise<Uint8Array>;
