"""A user's script, type-checked with `mypy --strict` against the shipped stubs (not run)."""

from __future__ import annotations

import pathlib
from typing import List, Optional, Tuple

import omega_verify as ov
from omega_verify import OmegaError, PublicKey, Report, Signature


def audit(dirs: List[pathlib.Path], pins: List[str]) -> List[Report]:
    keys: List[PublicKey] = [PublicKey(k) for k in pins]
    out: List[Report] = []
    for d in dirs:
        digest: str = ov.digest_dir(d)
        try:
            report = ov.check_package(d, digest=digest, keys=keys, threshold=1)
        except ov.VerificationError as e:
            failed: Optional[Report] = e.report
            if failed is not None:
                for p in failed.problems:
                    print(p.code, p.path, p.message)
            continue
        except ov.NotFoundError as e:
            print(e.code, e.filename)
            continue
        signers: tuple[str, ...] = report.signed_by
        print(report.tree, report.version, report.sequence, signers, [s.valid for s in report.signatures])
        out.append(report)
    return out


def release(path: str, key_file: pathlib.Path) -> str:
    key = PublicKey.from_file(key_file)
    kid: str = key.key_id
    comment: str = ov.verify_file(path, key, signature=path + ".minisig", legacy=False)
    sig = Signature.from_text(pathlib.Path(path + ".minisig").read_text())
    assert sig.key_id == kid and sig.algorithm in ("ED", "Ed")
    return comment + sig.verify(key, pathlib.Path(path).read_bytes())


def raw(pk: bytes, msg: bytearray, sig: memoryview) -> bool:
    h: bytes = ov.blake2b256(msg)
    ok: bool = ov.verify_ed25519(pk, msg, sig)
    return ok and len(h) == 32 and bytes(PublicKey(pk.hex())) != b""


def codes(e: OmegaError) -> str:
    d = e.to_dict()
    return f"{e.code} {e.message} {d['ok']} {len(ov.ERROR_CODES)} {ov.verify_minisign(b'm', 'sig', 'RW…')}"


def registry(url: str, policy: str, stored: Optional[str]) -> Tuple[bytes, str, str]:
    def fetch(u: str) -> Optional[bytes]:
        return None

    reg = ov.Registry(url, policy, checkpoint=stored, max_age=ov.DEFAULT_MAX_AGE, fetch=fetch)
    rel: ov.Release = reg.release("left-pad", "1.0.0", accept_notices=["OSA-1"], allow_yanked=False)
    notices: List[ov.Notice] = reg.notices("left-pad", rel.sequence)
    ranges = [(r["from"], r["to"]) for n in notices for r in n["affected"]]
    size: int = reg.verified["size"] + len(ranges) + rel.entry
    witnesses = [(w["name"], w["time"]) for w in reg.verified["witnesses"]]
    assert size >= 0 and witnesses is not None and rel.report.signed_by is not None
    return rel.tarball + rel.manifest, reg.checkpoint, reg.genesis
