#!/usr/bin/env python3
"""Runs an `omega` binary (possibly under qemu) on every vector the CLI can take, for make dist-test.

    scripts/dist-vectors.py OUT OMEGA [RUNNER...]

  tests/vectors/tree.json        `omega digest` of each case's files (cases whose paths this
                                 file system cannot hold are counted, not run)
  tests/vectors/minisign.json    `omega verify` of each case (key, signature and message files)
  shared vectors: RFC 8032, Wycheproof, ed25519-speccheck, C2SP CCTV
                                 `omega verify` of each raw Ed25519 case, wrapped as signify
                                 files (a signify signature is a bare Ed25519 signature of the
                                 message: the CLI decides with omega-core's strict rule)

Writes OUT: one line per case, `set/case<TAB>exit status<TAB>sha256 of stdout+stderr` (the
temporary folder replaced by a fixed name), which make dist-test compares between builds. It
also checks each verdict against the vector's expectation and the case counts, and exits 1
listing every disagreement.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("OMEGA_SHARED_VECTORS", os.path.join(ROOT, "..", "shared", "vectors"))
# Cases each set must have: a file that shrank or failed to parse fails here.
COUNTS = {"tree": 20, "minisign": 22, "rfc8032": 5, "wycheproof": 151, "speccheck": 12, "cctv": 914}
# Strict verification accepts a CCTV vector iff its flags are a subset of these
# (core/tests/public_vectors.rs, from ed25519-dalek's VERIFY_STRICT_ALLOWED_EDGECASES).
CCTV_STRICT_ALLOWED = {"low_order_component_A", "low_order_component_R"}


def main():
    out_path, omega, runner = sys.argv[1], sys.argv[2], sys.argv[3:]
    lines, bad, counts, not_run = [], [], {}, []
    with tempfile.TemporaryDirectory(prefix="omega-dist-vectors-") as tmp:

        def run(case, args, expect_ok, expect_text=None):
            """Runs omega ARGS; records the outcome and checks it against the expectation."""
            r = subprocess.run(runner + [omega] + args, capture_output=True, timeout=120, cwd=tmp)
            text = (r.stdout + b"\0" + r.stderr).replace(tmp.encode(), b"<tmp>")
            lines.append(f"{case}\t{r.returncode}\t{hashlib.sha256(text).hexdigest()}")
            counts[case.split("/")[0]] = counts.get(case.split("/")[0], 0) + 1
            ok = r.returncode == 0
            if ok != expect_ok or (expect_text is not None and expect_text.encode() not in text):
                bad.append(f"{case}: exit {r.returncode}, expected {'success' if expect_ok else 'refusal'}"
                           f"{' with ' + repr(expect_text) if expect_text else ''}: {text[:300]!r}")

        def write(path, data, mode=0o644):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode())
            os.chmod(path, mode)

        # tests/vectors/tree.json: omega digest
        for i, c in enumerate(load(os.path.join(ROOT, "tests/vectors/tree.json"))["cases"]):
            d = os.path.join(tmp, "tree", str(i))
            os.makedirs(d)
            try:
                for f in c["files"]:
                    p = f["path"]
                    # A file system folds "a/./b", "a//b" and a repeated path into a valid
                    # tree: such cases are about listings, not folders.
                    parts = p.split("/")
                    if p.startswith("/") or p == "" or "\0" in p or any(x in ("", ".", "..") for x in parts):
                        raise ValueError(p)
                    if os.path.lexists(os.path.join(d, p)):
                        raise ValueError(p)
                    data = bytes.fromhex(f["hex"]) if "hex" in f else f["text"].encode()
                    write(os.path.join(d, p), data, 0o755 if f.get("executable") else 0o644)
            except (ValueError, OSError):
                not_run.append(f"tree/{c['name']}")
                counts["tree"] = counts.get("tree", 0) + 1
                continue
            e = c["expect"]
            if "digest" in e:
                run(f"tree/{c['name']}", ["digest", d], True, e["digest"])
            else:
                run(f"tree/{c['name']}", ["digest", d], False, e["error"])

        # tests/vectors/minisign.json: omega verify
        for i, c in enumerate(load(os.path.join(ROOT, "tests/vectors/minisign.json"))["cases"]):
            d = os.path.join(tmp, "minisign", str(i))
            write(os.path.join(d, "msg"), bytes.fromhex(c["message_hex"]))
            write(os.path.join(d, "key.pub"), c["public_key"])
            write(os.path.join(d, "msg.minisig"), c["signature"])
            args = ["verify", os.path.join(d, "msg"), "-p", os.path.join(d, "key.pub"), "-x", os.path.join(d, "msg.minisig")]
            if c["legacy"]:
                args.append("--legacy")
            e = c["expect"]
            if "trusted_comment" in e:
                run(f"minisign/{c['name']}", args, True, e["trusted_comment"])
            else:
                # Refused; the code may differ from the in-memory parser's: a signature file
                # of two lines is read as signify's (omega verify --help), which the builds
                # must still agree on.
                run(f"minisign/{c['name']}", args, False)

        # Raw Ed25519 vectors, as signify files.
        def ed25519(case, pk, msg, sig, expect):
            d = os.path.join(tmp, case.replace("/", "_").replace(" ", "_"))
            keynum = b"omegadst"
            write(os.path.join(d, "msg"), msg)
            write(os.path.join(d, "key.pub"), "untrusted comment: signify public key\n"
                  + base64.b64encode(b"Ed" + keynum + pk).decode() + "\n")
            write(os.path.join(d, "msg.sig"), "untrusted comment: verify with key.pub\n"
                  + base64.b64encode(b"Ed" + keynum + sig).decode() + "\n")
            run(case, ["verify", os.path.join(d, "msg"), "-p", os.path.join(d, "key.pub"), "-x", os.path.join(d, "msg.sig")], expect)

        rfc = load(os.path.join(SHARED, "rfc8032/ed25519_rfc8032_section7_1.json"))
        for i, v in enumerate(rfc["vectors"] if "vectors" in rfc else rfc["cases"]):
            ed25519(f"rfc8032/{i}", h(v, "public_key"), h(v, "message"), h(v, "signature"), True)

        wp = load(os.path.join(SHARED, "wycheproof/ed25519_test.json"))
        for g in wp["testGroups"]:
            pk = bytes.fromhex(g["publicKey"]["pk"])
            for t in g["tests"]:
                ed25519(f"wycheproof/{t['tcId']}", pk, bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"]), t["result"] == "valid")

        sc = load(os.path.join(SHARED, "ed25519-speccheck/cases.json"))
        for i, v in enumerate(sc):
            # Of the 12 cases, strict verification accepts only case 3 (public_vectors.rs).
            ed25519(f"speccheck/{i}", bytes.fromhex(v["pub_key"]), bytes.fromhex(v["message"]),
                    bytes.fromhex(v["signature"]), i == 3)

        cc = load(os.path.join(SHARED, "cctv-ed25519/ed25519vectors_annotated.json"))
        for v in cc["vectors"]:
            ed25519(f"cctv/{v['number']}", bytes.fromhex(v["key"]), v["msg"].encode(), bytes.fromhex(v["sig"]),
                    set(v["flags"]) <= CCTV_STRICT_ALLOWED)

    for k, n in COUNTS.items():
        if counts.get(k, 0) != n:
            bad.append(f"{k}: {counts.get(k, 0)} cases, expected {n}")
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    label = " ".join([omega] if not runner else runner[:1] + [omega])
    print(f"dist-vectors: {label}: {len(lines)} cases run "
          f"({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}); "
          f"{len(not_run)} tree cases not representable on disk ({', '.join(not_run) or 'none'})")
    if bad:
        print(f"dist-vectors: {len(bad)} disagreements:\n  " + "\n  ".join(bad), file=sys.stderr)
        sys.exit(1)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def h(v, *names):
    for n in names:
        if n in v:
            return bytes.fromhex(v[n])
    raise KeyError(names)


if __name__ == "__main__":
    main()
