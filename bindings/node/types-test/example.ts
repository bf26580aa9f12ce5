// A typed CommonJS user of omega-verify: `tsc -p types-test` must accept it (make test-node),
// and the @ts-expect-error lines must stay errors.
import Ω = require('omega-verify');

interface LeftPad {
  (s: string, n: number, c?: string): string;
}
const digest: Ω.TreeDigest = 'b2tree:0dc9af4aae30cebd410318d3416e8f80cc18bbb51199173a6e457f0ae772a1d7';

Ω<LeftPad>('left-pad', digest, (err, leftPad) => {
  if (err) {
    const code: string | undefined = (err as Ω.OmegaError).code;
    console.error(code, err.message);
    return;
  }
  if (leftPad) console.log(leftPad('1', 3, '0'));
});
Ω('left-pad', digest, { keys: ['RW…'], threshold: 1 }, (err) => void err);

async function main(): Promise<void> {
  const leftPad = await Ω<LeftPad>('left-pad', digest, { lock: true });
  const s: string = leftPad('x', 2);
  const sync: LeftPad = Ω.sync('left-pad', digest);
  const keysOnly = Ω.sync<LeftPad>('left-pad', null, { keys: 'RW…' });
  const d: string = await Ω.digestDir('node_modules/left-pad', { installed: true });
  const d2: string = Ω.digestDirSync('node_modules/left-pad');
  try {
    const report: Ω.Report = await Ω.checkPackage('node_modules/left-pad', { digest, keys: ['RW…'], threshold: 1 });
    const ok: boolean = report.ok;
    const signers: string[] = report.signed_by;
    const first: Ω.Problem | undefined = report.problems[0];
    const block: Ω.SignatureReport | undefined = report.signatures[0];
    const blockError: Ω.ErrorCode | null | undefined = block?.error;
    console.log(ok, signers, first?.code, block?.key_id, blockError);
  } catch (e) {
    if (e instanceof Ω.OmegaError) {
      const code: Ω.ErrorCode = e.code;
      const problems = e.report?.problems ?? [];
      console.log(code, problems.map((p) => p.path));
    }
  }
  const sync2: Ω.Report = Ω.checkPackageSync('dir', { digest: null, keys: 'RW…', installed: false, label: 'x' });
  const { trustedComment } = Ω.verifyFile('release.tgz', { publicKey: 'RW…' });
  const v: Ω.Verified = await Ω.verifyFileAsync('release.tgz', { publicKey: 'RW…', signature: Buffer.from('') });
  const h: Buffer = Ω.blake2b256('abc');
  const ok: boolean = Ω.verifyEd25519(new Uint8Array(32), 'm', new Uint8Array(64));
  const engine: 'native' | 'wasm' = Ω.engine;
  const alias: typeof Ω = Ω.omega;
  console.log(s, sync, keysOnly, d, d2, sync2, trustedComment, v, h, ok, engine, alias);

  // @ts-expect-error: a misspelt option is a type error too
  Ω.sync('left-pad', digest, { key: ['RW…'] });
  // @ts-expect-error: the digest is a string
  Ω.sync('left-pad', 42);
  // @ts-expect-error: verifyFile needs the public key
  Ω.verifyFile('release.tgz', {});
  // @ts-expect-error: the engine is one of two names
  const e2: 'fast' = Ω.engine;
  void e2;
}
void main;

/** Log verification (lib/log.js): the shapes a host relies on. */
function logExample(): void {
  const cp: Ω.VerifiedCheckpoint = Ω.verifyCheckpoint('note', 'policy', { now: 1_800_000_000, maxAge: 3600 });
  const offline: Ω.Freshness = Ω.verifyCheckpoint(Buffer.from('note'), 'policy').freshness;
  const signers: string[] = Ω.verifyNote('note', ['name+00000000+AQ']).verified.map((s) => s.name);
  const paths: string[] = [...Ω.tilesForInclusion(3, cp.size), Ω.bundleForEntry(3, cp.size)];
  const tiles = new Map<string, Uint8Array>(paths.map((p) => [p, new Uint8Array(0)]));
  const { leafHash, proof } = Ω.proveInclusion(3, cp.size, cp.root, tiles);
  const entry: Buffer = Ω.readEntry(3, cp.size, cp.root, Object.fromEntries(tiles));
  const valid: true = Ω.verifyInclusion(3, cp.size, entry, proof, cp.root);
  const cons: string[] = Ω.proveConsistency(2, cp.size, leafHash, cp.root, tiles).proof;
  const r: Ω.ReplayResult = Ω.replayLog([entry], { stop: true });
  const firstError: Ω.ErrorCode | undefined = r.errors[0]?.code;
  console.log(offline.state, signers, valid, cons, firstError, Ω.parseTilePath(paths[0] ?? '').level);
  // @ts-expect-error: sizes are numbers
  Ω.tilesForRoot('300');
  // @ts-expect-error: a misspelt option
  Ω.verifyCheckpoint('note', 'policy', { max_age: 1 });
}
void logExample;

/** The registry reader (lib/registry.js): the shapes a host relies on. */
async function registryExample(): Promise<void> {
  const reg: Ω.Registry = Ω.registry('https://registry.example', { policy: 'log …', checkpoint: null, offline: true });
  const rel: Ω.RegistryRelease = await reg.release('left-pad', null, { acceptNotices: ['OMEGA-1'] });
  const bytes: Buffer = rel.tarball;
  const signed: string[] = rel.report.signed_by;
  const keep: string = (await reg.checkpoint()).keep;
  const notices: Ω.Notice[] = await reg.notices('left-pad', rel.sequence);
  const evidence: string | null = reg.evidence();
  console.log(bytes.length, signed, keep, notices[0]?.severity, rel.advisories.yanked?.reason, evidence);
  // @ts-expect-error: the policy is required
  Ω.registry('https://registry.example', {});
  // @ts-expect-error: a misspelt option
  Ω.registry('https://registry.example', { policy: 'p', max_age: 1 });
}
void registryExample;
