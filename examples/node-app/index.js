'use strict';

// A tiny app that loads its two packages with Ω instead of require(): each package is checked
// against the b2tree: digest pinned here, and against its entry in omega.lock (the keys that
// signed it), before any of its code runs. Run it with `node index.js`, or with every
// package of node_modules enforced: `node --require ../../bindings/node/register.js index.js`.
//
// In your own app: const Ω = require('omega-verify');
const Ω = require('../../bindings/node');

// The digests of the packages' files (their manifests' "tree"): `omega digest DIR`, or the
// "tree" of their omega.lock entries. They do not change when the packages are re-signed.
const GREET = 'b2tree:e4508879086447eb4eb7894db2ae4b1803671f5f461c58f171457956408e6833';
const LEFT_PAD = 'b2tree:0dc9af4aae30cebd410318d3416e8f80cc18bbb51199173a6e457f0ae772a1d7';

// Callback form: hashing runs off the main thread; `lock: true` also checks the signatures
// that omega.lock pins for the package.
Ω('@demo/greet', GREET, { lock: true }, (err, greet) => {
  if (err) {
    console.error(`refused: ${err.message}`); // err.code, err.report: what failed, file by file
    process.exitCode = 1;
    return;
  }
  // Synchronous form, for code that cannot wait.
  const leftPad = Ω.sync('left-pad', LEFT_PAD, { lock: true });
  console.log(greet('Ωpm', 24));
  console.log('answer: ' + leftPad('42', 6, '0'));
  console.log(`(verified with omega-verify, ${Ω.engine} engine)`);
});
