"""Every exported function and every reachable DESIGN §4 code, through the uniffi C ABI that
the generated Swift (`digestDir`, `checkPackage`, `verifyFile`, `verifyEd25519`,
`blake2b256`, `OmegaError`) and Kotlin bindings call. Python names are snake_case; the C
symbols and the values that cross them are the same.

Signed packages come from tests/vectors/package.json (keys from fixed seeds), signatures from
tests/vectors/minisign.json: this API verifies, it does not sign.
"""

import hashlib
import json
import os
import random
import re
import socket

import pytest

from helpers import load_cases, write_files

KEY1 = "RWQBb21lZ2EAAYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
KEY2 = "RWQCb21lZ2EAAoE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU"
KEY1_FILE = "untrusted comment: minisign public key 01006167656D6F01\n" + KEY1 + "\n"

# DESIGN §4, in order.
CODES = [
    "MALFORMED", "UNSUPPORTED_VERSION", "SIGNATURE_INVALID", "KEY_NOT_TRUSTED", "KEY_REVOKED",
    "THRESHOLD_NOT_MET", "LEGACY_SIGNATURE_REFUSED", "DIGEST_MISMATCH", "FILE_MISSING",
    "FILE_EXTRA", "FILE_CHANGED", "UNSAFE_PATH", "UNSUPPORTED_FILE_TYPE", "ROLLBACK",
    "NOT_FOUND", "IO", "TOO_LARGE", "LOG_INCONSISTENT", "NOT_IN_LOG", "QUORUM_NOT_MET", "STALE",
]
# Raised only by lock admission (omega lock), which this API does not expose. The registry codes
# come from the log functions (src/log.rs): test_registry_codes_from_the_log_functions.
NOT_REACHABLE = {"ROLLBACK"}
# Filled by the tests below (every code they saw raised), checked by the last test.
SEEN = set()


def variant_name(code: str) -> str:
    return "".join(w.capitalize() for w in code.split("_"))


def raises(ov, code, fn, *args, **kwargs):
    """Calls fn, which must raise OmegaError with `code`; returns the error."""
    with pytest.raises(ov.OmegaError) as ei:
        fn(*args, **kwargs)
    e = ei.value
    assert e.code() == code, repr(e)
    assert isinstance(e, getattr(ov.OmegaError, variant_name(code))), repr(e)
    assert isinstance(e.detail, str) and e.detail, repr(e)
    SEEN.add(code)
    return e


def display(ov, e) -> str:
    """The Rust Display of the error, through the C function Swift's `description` calls."""
    lowered = ov._UniffiFfiConverterTypeOmegaError.lower(e)
    out = ov._uniffi_rust_call(
        ov._UniffiLib.uniffi_omega_swift_fn_method_omegaerror_uniffi_trait_display, lowered
    )
    return ov._UniffiFfiConverterString.lift(out)


@pytest.fixture(scope="module")
def pkg_case(vectors_dir):
    cases = {c["name"]: c for c in load_cases(vectors_dir / "package.json")}
    return cases["digest_and_key"]


@pytest.fixture
def pkg(tmp_path, pkg_case):
    """A package signed by KEY1 (left-pad 1.3.0, sequence 7), written to a fresh directory."""
    root = tmp_path / "left-pad"
    root.mkdir()
    write_files(root, pkg_case["files"])
    return root


@pytest.fixture(scope="module")
def tree_digest(pkg_case):
    return pkg_case["pins"]["digest"]


@pytest.fixture(scope="module")
def minisign_cases(vectors_dir):
    return {c["name"]: c for c in load_cases(vectors_dir / "minisign.json")}


def signed_file(tmp_path, case):
    msg = tmp_path / "hello.txt"
    msg.write_bytes(bytes.fromhex(case["message_hex"]))
    (tmp_path / "hello.txt.minisig").write_text(case["signature"], encoding="utf-8")
    return msg


# --------------------------------------------------------------------------------------------
# blake2b256 and verifyEd25519

def test_blake2b256_known_answers(ov):
    assert ov.blake2b256(b"") == bytes.fromhex(
        "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
    )
    assert ov.blake2b256(b"abc") == bytes.fromhex(
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
    )


def test_blake2b256_agrees_with_hashlib(ov):
    rng = random.Random(7)
    for n in [1, 63, 64, 127, 128, 129, 1000, 1 << 20]:
        data = rng.randbytes(n)
        got = ov.blake2b256(data)
        assert isinstance(got, bytes) and len(got) == 32
        assert got == hashlib.blake2b(data, digest_size=32).digest(), n


def test_verify_ed25519_is_a_bool_and_never_raises(ov, shared_vectors_dir):
    doc = json.loads((shared_vectors_dir / "rfc8032" / "ed25519_rfc8032_section7_1.json").read_text())
    v = doc["vectors"][0]
    pk, msg, sig = (bytes.fromhex(v[k]) for k in ("public_key", "message", "signature"))
    assert ov.verify_ed25519(pk, msg, sig) is True
    assert ov.verify_ed25519(pk, msg + b"x", sig) is False
    # Malformed lengths are a False verdict, not an error.
    assert ov.verify_ed25519(pk[:31], msg, sig) is False
    assert ov.verify_ed25519(pk, msg, sig[:63]) is False
    assert ov.verify_ed25519(b"", b"", b"") is False
    assert ov.verify_ed25519(pk + b"\0", msg, sig) is False


# --------------------------------------------------------------------------------------------
# digestDir

def b2tree(root) -> str:
    """DESIGN §3.2 recomputed independently with hashlib (regular files only)."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d != ".omega"]
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            data = open(full, "rb").read()
            kind = "x" if os.stat(full).st_mode & 0o100 else "f"
            h = hashlib.blake2b(data, digest_size=32).hexdigest()
            lines.append((rel.encode(), f"{kind} {len(data)} {h} {rel}\n".encode()))
    listing = b"".join(line for _, line in sorted(lines))
    return "b2tree:" + hashlib.blake2b(b"omega-tree-v1\n" + listing, digest_size=32).hexdigest()


def test_digest_dir_matches_the_shell_recipe(ov, tmp_path):
    rng = random.Random(3)
    for i in range(40):
        d = tmp_path / f"f{i % 7}" / f"g{i % 3}"
        d.mkdir(parents=True, exist_ok=True)
        p = d / f"file {i}.bin"
        p.write_bytes(rng.randbytes(rng.randrange(0, 5000)))
        os.chmod(p, 0o755 if i % 5 == 0 else 0o644)
    (tmp_path / "empty-dir").mkdir()
    (tmp_path / ".omega").mkdir()
    (tmp_path / ".omega" / "ignored").write_text("not part of the tree")
    got = ov.digest_dir(str(tmp_path))
    assert re.fullmatch(r"b2tree:[0-9a-f]{64}", got)
    assert got == b2tree(tmp_path)


def test_digest_dir_of_the_package(ov, pkg, tree_digest):
    assert ov.digest_dir(str(pkg)) == tree_digest
    assert ov.digest_dir(str(pkg) + "/") == tree_digest


def test_digest_dir_refusals_name_the_path(ov, tmp_path):
    e = raises(ov, "NOT_FOUND", ov.digest_dir, str(tmp_path / "nope"))
    assert str(tmp_path / "nope") in e.detail
    f = tmp_path / "plain-file"
    f.write_text("x")
    e = raises(ov, "NOT_FOUND", ov.digest_dir, str(f))
    assert "not a directory" in e.detail

    link_dir = tmp_path / "with-link"
    link_dir.mkdir()
    (link_dir / "target").write_text("x")
    os.symlink("target", link_dir / "link")
    e = raises(ov, "UNSUPPORTED_FILE_TYPE", ov.digest_dir, str(link_dir))
    assert '"link"' in e.detail and "symbolic link" in e.detail

    fifo_dir = tmp_path / "with-fifo"
    (fifo_dir / "sub").mkdir(parents=True)
    os.mkfifo(fifo_dir / "sub" / "pipe")
    e = raises(ov, "UNSUPPORTED_FILE_TYPE", ov.digest_dir, str(fifo_dir))
    assert "sub/pipe" in e.detail

    sock_dir = tmp_path / "with-socket"
    sock_dir.mkdir()
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(sock_dir / "s"))
        raises(ov, "UNSUPPORTED_FILE_TYPE", ov.digest_dir, str(sock_dir))
    finally:
        s.close()

    case_dir = tmp_path / "case"
    case_dir.mkdir()
    (case_dir / "README.md").write_text("1")
    (case_dir / "readme.md").write_text("2")
    e = raises(ov, "UNSAFE_PATH", ov.digest_dir, str(case_dir))
    assert "README.md" in e.detail or "readme.md" in e.detail

    ctrl_dir = tmp_path / "ctrl"
    ctrl_dir.mkdir()
    (ctrl_dir / "a\x1bb").write_text("x")
    raises(ov, "UNSAFE_PATH", ov.digest_dir, str(ctrl_dir))

    bytes_dir = tmp_path / "not-utf8"
    bytes_dir.mkdir()
    with open(os.path.join(os.fsencode(bytes_dir), b"caf\xe9"), "wb") as fh:
        fh.write(b"x")
    e = raises(ov, "UNSAFE_PATH", ov.digest_dir, str(bytes_dir))
    assert "UTF-8" in e.detail


# --------------------------------------------------------------------------------------------
# checkPackage

def test_check_package_report(ov, pkg, tree_digest):
    r = ov.check_package(str(pkg), digest=tree_digest, keys=[KEY1], threshold=1)
    assert isinstance(r, ov.Report)
    assert r.ok is True
    assert (r.package, r.version, r.sequence) == ("left-pad", "1.3.0", 7)
    assert r.tree == r.manifest_tree == r.pinned_digest == tree_digest
    assert r.threshold == 1
    assert r.signed_by == [KEY1]
    assert r.files == 4
    assert r.problems == []
    [s] = r.signatures
    assert s.key_id == "01006167656D6F01"
    assert s.key == KEY1
    assert s.trusted_comment == "timestamp:1767225600\tfile:manifest.json\thashed"
    assert s.error is None
    # The JSON is omega-core's Report::to_json: the same object as `omega check --json`.
    j = json.loads(r.json)
    assert j["ok"] is True and j["code"] is None and j["message"] is None
    assert j["package"] == r.package and j["version"] == r.version
    assert j["sequence"] == r.sequence and j["files"] == r.files
    assert j["tree"] == r.tree and j["manifest_tree"] == r.manifest_tree
    assert j["pinned_digest"] == r.pinned_digest and j["threshold"] == r.threshold
    assert j["signed_by"] == r.signed_by and j["problems"] == []
    assert j["signatures"] == [
        {"key_id": s.key_id, "key": s.key, "trusted_comment": s.trusted_comment, "error": None}
    ]


def test_check_package_defaults_and_key_forms(ov, pkg, tree_digest):
    # digest only: keys default to none, threshold to 1 (unused without keys)
    r = ov.check_package(str(pkg), digest=tree_digest)
    assert r.ok and r.signed_by == [] and r.threshold == 0 and r.pinned_digest == tree_digest
    # keys only, default threshold 1; a key file's text works as well as the bare RW… line
    for key in (KEY1, KEY1_FILE):
        r = ov.check_package(str(pkg), keys=[key])
        assert r.ok and r.signed_by == [KEY1] and r.pinned_digest is None
    # positional, as Swift's checkPackage(path:digest:keys:threshold:)
    r = ov.check_package(str(pkg), None, [KEY2, KEY1], 1)
    assert r.signed_by == [KEY1]
    # an extra pinned key that did not sign is fine below the threshold
    assert r.ok


def test_check_package_reports_every_problem(ov, pkg, tree_digest):
    (pkg / "lib" / "a.js").write_text("tampered\n")
    (pkg / "index.js").unlink()
    (pkg / "aaa.js").write_text("extra\n")
    os.chmod(pkg / "bin" / "pad", 0o644)
    e = raises(ov, "FILE_EXTRA", ov.check_package, str(pkg), digest=tree_digest, keys=[KEY1])
    r = e.report
    assert isinstance(r, ov.Report) and r.ok is False
    got = [(p.code, p.path) for p in r.problems]
    assert got == [
        ("FILE_EXTRA", "aaa.js"),
        ("FILE_CHANGED", "bin/pad"),
        ("FILE_MISSING", "index.js"),
        ("FILE_CHANGED", "lib/a.js"),
    ]
    # Signatures still verified: the manifest is intact.
    assert r.signed_by == [KEY1]
    assert e.detail.startswith('left-pad: file "aaa.js"') and "(and 3 more problems)" in e.detail
    for p in r.problems:
        assert "left-pad" in p.message and p.path in p.message and p.key is None
    assert display(ov, e) == "FILE_EXTRA: " + e.detail
    j = json.loads(r.json)
    assert j["ok"] is False and j["code"] == "FILE_EXTRA"
    assert [(p["code"], p["path"]) for p in j["problems"]] == got


@pytest.mark.parametrize(
    "change, code, path",
    [
        (lambda p: (p / "lib" / "a.js").write_text("tampered\n"), "FILE_CHANGED", "lib/a.js"),
        (lambda p: os.chmod(p / "bin" / "pad", 0o644), "FILE_CHANGED", "bin/pad"),
        (lambda p: (p / "index.js").unlink(), "FILE_MISSING", "index.js"),
        (lambda p: (p / "lib" / "evil.js").write_text("x"), "FILE_EXTRA", "lib/evil.js"),
    ],
)
def test_check_package_file_codes(ov, pkg, change, code, path):
    change(pkg)
    e = raises(ov, code, ov.check_package, str(pkg), keys=[KEY1])
    assert [(p.code, p.path) for p in e.report.problems] == [(code, path)]
    assert path in e.detail and "left-pad" in e.detail


def test_check_package_digest_mismatch(ov, pkg):
    wrong = "b2tree:" + "00" * 32
    e = raises(ov, "DIGEST_MISMATCH", ov.check_package, str(pkg), digest=wrong, keys=[KEY1])
    assert wrong in e.detail and "left-pad" in e.detail
    assert e.report.pinned_digest == wrong and e.report.signed_by == [KEY1]


def test_check_package_signature_codes(ov, pkg, tree_digest):
    e = raises(ov, "KEY_NOT_TRUSTED", ov.check_package, str(pkg), keys=[KEY2])
    assert e.report.signatures[0].error == "KEY_NOT_TRUSTED"
    assert "01006167656D6F01" in e.detail

    e = raises(ov, "THRESHOLD_NOT_MET", ov.check_package, str(pkg), keys=[KEY1, KEY2], threshold=2)
    assert "1 of 2" in e.detail and e.report.threshold == 2 and e.report.signed_by == [KEY1]

    # A signature over other bytes: the manifest changed after signing (same files).
    m = pkg / ".omega" / "manifest.json"
    m.write_bytes(m.read_bytes().replace(b'"version": "1.3.0"', b'"version": "1.3.1"'))
    e = raises(ov, "SIGNATURE_INVALID", ov.check_package, str(pkg), keys=[KEY1])
    assert [p.code for p in e.report.problems] == ["SIGNATURE_INVALID", "THRESHOLD_NOT_MET"]
    assert e.report.problems[0].key is not None and KEY1 in e.report.problems[0].key
    assert e.report.signatures[0].error == "SIGNATURE_INVALID"
    # A digest pin alone does not look at signatures.
    r = ov.check_package(str(pkg), digest=tree_digest)
    assert r.ok and r.version == "1.3.1"


def test_check_package_input_errors(ov, pkg, tree_digest):
    # Nothing pinned.
    e = raises(ov, "KEY_NOT_TRUSTED", ov.check_package, str(pkg))
    assert e.report is None and "nothing pinned" in e.detail
    # Malformed pins: refused before anything is read.
    e = raises(ov, "MALFORMED", ov.check_package, str(pkg), digest="sha256:abcd")
    assert "sha256:abcd" in e.detail
    raises(ov, "MALFORMED", ov.check_package, str(pkg), digest="b2tree:" + "0" * 63)
    e = raises(ov, "MALFORMED", ov.check_package, str(pkg), keys=["RWQnotakey"])
    assert "RWQnotakey" in e.detail
    raises(ov, "MALFORMED", ov.check_package, str(pkg), keys=[KEY1], threshold=0)
    e = raises(ov, "MALFORMED", ov.check_package, str(pkg), keys=[KEY1], threshold=2)
    assert "threshold 2" in e.detail
    # A key whose algorithm is not Ed25519.
    import base64

    blob = base64.b64decode(KEY1)
    not_ed = base64.b64encode(b"XY" + blob[2:]).decode()
    raises(ov, "UNSUPPORTED_VERSION", ov.check_package, str(pkg), keys=[not_ed])
    # A key file larger than omega-core's limit.
    raises(ov, "TOO_LARGE", ov.check_package, str(pkg), keys=["untrusted comment: " + "x" * 5000 + "\n" + KEY1])
    # Missing directory.
    e = raises(ov, "NOT_FOUND", ov.check_package, str(pkg / "nope"), digest=tree_digest)
    assert str(pkg / "nope") in e.detail


def test_check_package_manifest_errors(ov, pkg, tree_digest):
    m = pkg / ".omega" / "manifest.json"
    original = m.read_bytes()
    m.write_bytes(original.replace(b'"omega": 1', b'"omega": 2'))
    e = raises(ov, "UNSUPPORTED_VERSION", ov.check_package, str(pkg), digest=tree_digest)
    assert "manifest.json" in e.detail and e.report is None
    m.write_bytes(b"{not json")
    e = raises(ov, "MALFORMED", ov.check_package, str(pkg), keys=[KEY1])
    assert "manifest.json" in e.detail
    m.unlink()
    os.symlink("../index.js", m)
    e = raises(ov, "UNSUPPORTED_FILE_TYPE", ov.check_package, str(pkg), digest=tree_digest)
    assert "manifest.json" in e.detail


# --------------------------------------------------------------------------------------------
# verifyFile

def test_verify_file_ok_and_key_forms(ov, tmp_path, minisign_cases):
    case = minisign_cases["prehashed_key_file"]
    msg = signed_file(tmp_path, case)
    tc = "timestamp:1767225600\tfile:hello.txt\thashed"
    assert ov.verify_file(str(msg), KEY1) == tc  # default signature path, legacy off
    assert ov.verify_file(str(msg), KEY1_FILE) == tc
    assert ov.verify_file(str(msg), KEY1, str(msg) + ".minisig", False) == tc
    other = tmp_path / "elsewhere.sig"
    other.write_text(case["signature"])
    assert ov.verify_file(str(msg), KEY1, signature=str(other)) == tc


def test_verify_file_legacy_is_a_named_opt_in(ov, tmp_path, minisign_cases):
    case = minisign_cases["legacy_allowed"]
    msg = signed_file(tmp_path, case)
    e = raises(ov, "LEGACY_SIGNATURE_REFUSED", ov.verify_file, str(msg), KEY1)
    assert str(msg) in e.detail and "01006167656D6F01" in e.detail
    assert display(ov, e).startswith("LEGACY_SIGNATURE_REFUSED: ")
    assert ov.verify_file(str(msg), KEY1, legacy=True) == "legacy signature"


def test_verify_file_refusals(ov, tmp_path, minisign_cases):
    case = minisign_cases["prehashed_key_file"]
    msg = signed_file(tmp_path, case)
    sig = tmp_path / "hello.txt.minisig"

    e = raises(ov, "KEY_NOT_TRUSTED", ov.verify_file, str(msg), KEY2)
    assert "01006167656D6F01" in e.detail and "02006167656D6F02" in e.detail

    msg.write_bytes(msg.read_bytes() + b"!")
    e = raises(ov, "SIGNATURE_INVALID", ov.verify_file, str(msg), KEY1)
    assert str(msg) in e.detail and "does not verify" in e.detail
    assert e.report is None

    raises(ov, "MALFORMED", ov.verify_file, str(msg), "RWQnotakey")
    e = raises(ov, "NOT_FOUND", ov.verify_file, str(msg), KEY1, signature=str(tmp_path / "none.sig"))
    assert "none.sig" in e.detail
    sig_text = sig.read_text()
    e = raises(ov, "NOT_FOUND", ov.verify_file, str(tmp_path / "absent.txt"), KEY1, signature=str(sig))
    assert "absent.txt" in e.detail

    # A directory where the file should be: the OS refuses to read it.
    d = tmp_path / "a-directory"
    d.mkdir()
    (tmp_path / "a-directory.minisig").write_text(sig_text)
    e = raises(ov, "IO", ov.verify_file, str(d), KEY1)
    assert "a-directory" in e.detail

    big = tmp_path / "big.minisig"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    e = raises(ov, "TOO_LARGE", ov.verify_file, str(msg), KEY1, signature=str(big))
    assert "big.minisig" in e.detail

    # A user's own signature file may be a link (as with minisign): it is followed, and the
    # verdict is the verdict on its target (here: a signature over other bytes).
    link = tmp_path / "link.minisig"
    os.symlink(sig, link)
    raises(ov, "SIGNATURE_INVALID", ov.verify_file, str(msg), KEY1, signature=str(link))

    unknown = minisign_cases["fail_unknown_algorithm"]
    sig.write_text(unknown["signature"])
    raises(ov, "UNSUPPORTED_VERSION", ov.verify_file, str(msg), KEY1)


# --------------------------------------------------------------------------------------------
# applyRevocation

def test_apply_revocation_revokes_then_refuses_a_second_time(ov, vectors_dir):
    cases = {c["name"]: c for c in load_cases(vectors_dir / "revocation.json")}
    c = cases["self_signed"]
    nested = "node_modules/x/node_modules/" + c["package"]
    packages = {c["package"]: c["pinned"], nested: dict(c["pinned"], path=nested)}
    lock = json.dumps({"omega-lock": 1, "packages": packages}).encode()
    out = ov.apply_revocation(lock, c["statement"].encode(), c["signature"])
    assert isinstance(out, bytes)
    doc = json.loads(out)
    for key in (c["package"], nested):
        assert doc["packages"][key]["revoked"] == [c["expect"]["revoked"]], key
    raises(ov, "KEY_REVOKED", ov.apply_revocation, out, c["statement"].encode(), c["signature"])
    forged = cases["fail_signed_by_outsider"]
    raises(ov, forged["expect"]["error"], ov.apply_revocation, lock,
           forged["statement"].encode(), forged["signature"])
    raises(ov, "MALFORMED", ov.apply_revocation, b"{", c["statement"].encode(), c["signature"])


def test_verify_signify_vectors(ov, vectors_dir):
    """verifySignify over tests/signify/vectors.json (made by signify-openbsd)."""
    doc = json.loads((vectors_dir.parent / "signify" / "vectors.json").read_text())
    for c in doc["cases"]:
        key = doc["keys"][c["key"]]
        args = (c["message"].encode(), c["signature"], key)
        if c["expect"] is None:
            assert ov.verify_signify(*args) is None, c["name"]
        else:
            raises(ov, c["expect"], ov.verify_signify, *args)


# --------------------------------------------------------------------------------------------
# The error enum

def test_error_enum_has_one_variant_per_design_code(ov):
    variants = {
        name: cls
        for name, cls in vars(ov.OmegaError).items()
        if isinstance(cls, type) and issubclass(cls, ov.OmegaError)
    }
    assert sorted(variants) == sorted(variant_name(c) for c in CODES)
    for code in CODES:
        cls = variants[variant_name(code)]
        e = cls("something named", None)
        # code() and Display run in Rust: the variant crosses the C ABI both ways.
        assert e.code() == code
        assert display(ov, e) == f"{code}: something named"
        assert e.detail == "something named" and e.report is None


def test_error_with_a_report_crosses_the_abi(ov, pkg):
    (pkg / "index.js").unlink()
    e = raises(ov, "FILE_MISSING", ov.check_package, str(pkg), keys=[KEY1])
    # Lower the error (with its Report record) back into Rust and read it out again.
    back = ov._UniffiFfiConverterTypeOmegaError.lift(ov._UniffiFfiConverterTypeOmegaError.lower(e))
    assert type(back) is type(e)
    assert back.detail == e.detail and back.report == e.report
    assert back.code() == "FILE_MISSING"


def test_error_kind_and_report_json_order_come_from_core(ov, pkg):
    """kind() is omega-core's ErrorCode::kind (the CLI's exit status follows it), and the
    report's JSON keeps core's declared key order (the CLI's), whatever serde_json features
    this crate was built with."""
    kinds = {
        "MALFORMED": "malformed", "UNSUPPORTED_VERSION": "malformed", "TOO_LARGE": "malformed",
        "NOT_FOUND": "not_found", "IO": "io",
    }
    variants = {
        name: cls
        for name, cls in vars(ov.OmegaError).items()
        if isinstance(cls, type) and issubclass(cls, ov.OmegaError)
    }
    for code in CODES:
        e = variants[variant_name(code)]("x", None)
        assert e.kind() == kinds.get(code, "verification"), code
    r = ov.check_package(str(pkg), keys=[KEY1])
    assert list(json.loads(r.json)) == [
        "ok", "code", "message", "package", "version", "sequence", "files", "tree",
        "manifest_tree", "pinned_digest", "threshold", "signed_by", "signatures", "problems",
    ]
    assert r.threshold == 1  # Pins::from_text: the given threshold (1 by default)


def test_registry_codes_from_the_log_functions(ov, vectors_dir):
    """LOG_INCONSISTENT, NOT_IN_LOG, QUORUM_NOT_MET and STALE, raised by the log functions
    with cases of the log vectors."""
    proofs = {c["name"]: c for c in load_cases(vectors_dir / "log_proofs.json")}
    notes = {c["name"]: c for c in load_cases(vectors_dir / "notes.json")}
    c = proofs["fail_consistency_wrong_old_root"]
    raises(ov, "LOG_INCONSISTENT", ov.verify_consistency, c["size1"], c["size2"], c["root1"], c["root2"], c["proof"])
    c = proofs["fail_inclusion_wrong_leaf"]
    e = raises(ov, "NOT_IN_LOG", ov.verify_inclusion, c["index"], c["size"], c["leaf_hash"], c["proof"], c["root"])
    assert "entry 5" in e.detail
    c = notes["quorum-not-met-1-of-3"]
    raises(ov, "QUORUM_NOT_MET", ov.verify_checkpoint, c["note"].encode(), c["policy"], now=c["now"], max_age=c["max_age"])
    c = notes["quorum-2-of-3-met-fresh"]
    raises(ov, "STALE", ov.verify_checkpoint, c["note"].encode(), c["policy"], now=c["now"] + 30 * 86400)
    # Offline: the same note verifies, freshness not checked.
    v = ov.verify_checkpoint(c["note"].encode(), c["policy"])
    assert isinstance(v.freshness, ov.Freshness.NOT_CHECKED)


def test_every_reachable_code_was_raised():
    """Runs last in this file (pytest keeps file order): the tests above raised every code."""
    assert SEEN == set(CODES) - NOT_REACHABLE, sorted(set(CODES) - NOT_REACHABLE - SEEN)
