// A typed ES module user of omega-verify (default and named imports).
import Ω, { digestDir, checkPackage, OmegaError, engine, omega, verifyCheckpoint, replayLog, registry } from 'omega-verify';

const pad = await Ω<(s: string, n: number) => string>('left-pad', 'b2tree:0000000000000000000000000000000000000000000000000000000000000000');
console.log(pad('1', 2), await digestDir('.'), engine, omega === Ω);
try {
  await checkPackage('.', { digest: null, keys: ['RW…'] });
} catch (e) {
  if (e instanceof OmegaError) console.log(e.code, e.report?.tree);
}
console.log(verifyCheckpoint('note', 'policy').freshness.state, replayLog([]).verdicts);
console.log(registry('https://registry.example', { policy: 'p' }).url);
