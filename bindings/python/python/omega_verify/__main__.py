"""``python -m omega_verify``: the ``omega`` CLI's digest, check and verify, with its flags,
its output on stdout and its exit codes (0 ok, 1 verification failed, 2 usage or input that
cannot be read).

::

    python -m omega_verify digest DIR
    python -m omega_verify check DIR [--digest D] [-P KEY]... [--threshold K] [--json]
    python -m omega_verify verify FILE (-p PUBFILE | -P KEY) [-x SIGFILE] [-q] [--legacy]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List, NoReturn, Optional, Sequence

from . import (
    OmegaError,
    PublicKey,
    Report,
    __version__,
    check_package,
    digest_dir,
    verify_file,
)

PROG = "python -m omega_verify"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

# As `omega` (cli/src/util.rs `exit_for`): 2 when the input could not be read or parsed, 1
# when it was read and refused.
_EXIT_USAGE_CODES = frozenset({"MALFORMED", "UNSUPPORTED_VERSION", "NOT_FOUND", "IO", "TOO_LARGE"})

CHECK_EPILOG = """\
Give a digest, keys, or both. Every signature and every missing, extra and changed file is
listed, one line each, with its code; the first line's code is the verdict (signatures, then
files in path order, then DIGEST_MISMATCH).

--json prints one object: ok, code, message, package, version, sequence, files, tree,
manifest_tree, pinned_digest, threshold, signed_by, signatures[{key_id, key, trusted_comment,
error}], problems[{code, path, key, message}].

Exit status: 0 the package verified; 1 verification failed; 2 usage error or input that
cannot be read (MALFORMED, UNSUPPORTED_VERSION, NOT_FOUND, IO, TOO_LARGE)."""


def exit_for(code: str) -> int:
    """The exit status for an error code."""
    return EXIT_USAGE if code in _EXIT_USAGE_CODES else EXIT_FAILED


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=PROG,
        description="Ωpm verifier: the omega CLI's digest, check and verify, from Python.",
        epilog="Exit status: 0 ok, 1 verification failed, 2 usage or malformed input.",
    )
    p.add_argument("--version", action="version", version=f"omega_verify {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("digest", help="Print the b2tree: digest of a directory.")
    d.add_argument("dir", metavar="DIR", help="Directory to digest.")

    c = sub.add_parser(
        "check",
        help="Check a package directory against a pinned digest and/or keys.",
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("dir", metavar="DIR", help="Package directory.")
    c.add_argument("--digest", metavar="D", help="Pinned b2tree: digest of the files.")
    c.add_argument(
        "-P", "--key", dest="keys", metavar="KEY", action="append", default=[],
        help="A pinned key (RW…); repeat for several.",
    )
    c.add_argument(
        "--threshold", metavar="K", type=int,
        help="How many distinct pinned keys must have signed [default: 1].",
    )
    c.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")

    v = sub.add_parser(
        "verify",
        help="Verify a file's minisign signature.",
        epilog="Of a signature file with several blocks, the block made by the key is verified. "
        "Legacy (Ed, non-prehashed) signatures are refused unless --legacy is given.",
    )
    v.add_argument("file", metavar="FILE", help="File to verify.")
    keys = v.add_mutually_exclusive_group()
    keys.add_argument(
        "-p", dest="public_key_file", metavar="PUBFILE",
        help="Public key file [default: ./minisign.pub when -P is not given].",
    )
    keys.add_argument("-P", dest="key", metavar="KEY", help="Public key, as the base64 line (RW…).")
    v.add_argument("-x", dest="signature", metavar="SIGFILE", help="Signature file [default: FILE.minisig].")
    v.add_argument("-q", dest="quiet", action="store_true", help="Quiet: print nothing, only set the exit status.")
    v.add_argument("--legacy", action="store_true", help="Accept legacy (Ed, non-prehashed) signatures.")
    return p


def _say(text: str) -> None:
    try:
        print(text, flush=True)
    except BrokenPipeError:  # `… | head`: the exit status still tells the verdict
        pass


def _print_error(e: OmegaError) -> None:
    print(f"omega_verify: {e.code}: {e.message}", file=sys.stderr)


def _key_text(k: str) -> str:
    return f"{k} (id {PublicKey(k).key_id})"


def _ok_line(r: Report) -> str:
    version = f"@{r.version} (sequence {r.sequence})" if r.version is not None and r.sequence is not None else ""
    signed = f", signed by {', '.join(_key_text(k) for k in r.signed_by)}" if r.signed_by else ""
    return f"OK {r.package}{version}: {r.tree}{signed}"


def _print_json(d: Dict[str, Any]) -> None:
    _say(json.dumps(d, indent=2, ensure_ascii=False))


def _parse_key(text: str, what: str) -> PublicKey:
    try:
        return PublicKey.from_text(text.strip())
    except OmegaError as e:
        e.message = f"{what}: {e.message}"
        raise


def _cmd_digest(a: argparse.Namespace) -> int:
    _say(digest_dir(a.dir))
    return EXIT_OK


def _cmd_check(a: argparse.Namespace) -> int:
    if a.digest is None and not a.keys:
        raise _Usage("check: give --digest D and/or at least one -P KEY")
    if a.threshold is not None and not a.keys:
        raise _Usage("check: --threshold needs at least one -P KEY")
    try:
        keys = [_parse_key(k, "-P") for k in a.keys]
        report = check_package(
            a.dir,
            digest=a.digest,
            keys=keys,
            threshold=a.threshold,  # None: core's default (1 with keys)
        )
    except OmegaError as e:
        if a.json:
            _print_json(e.to_dict())
        elif e.report is not None:
            for p in e.report.problems:
                _say(f"{p.code} {p.message}")
        else:
            _print_error(e)
        return exit_for(e.code)
    if a.json:
        _print_json(report.to_dict())
    else:
        _say(_ok_line(report))
    return EXIT_OK


def _cmd_verify(a: argparse.Namespace) -> int:
    if a.key is not None:
        key = _parse_key(a.key, "-P")
    else:
        key = PublicKey.from_file(a.public_key_file if a.public_key_file is not None else "minisign.pub")
    trusted = verify_file(a.file, key, signature=a.signature, legacy=a.legacy)
    if not a.quiet:
        _say("Signature and comment signature verified")
        _say(f"Trusted comment: {trusted}")
    return EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command line; returns the exit status."""
    parser = _parser()
    a = parser.parse_args(argv)
    commands = {"digest": _cmd_digest, "check": _cmd_check, "verify": _cmd_verify}
    if a.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return commands[a.command](a)
    except _Usage as u:
        print(f"{PROG}: error: {u}", file=sys.stderr)
        return EXIT_USAGE
    except OmegaError as e:
        _print_error(e)
        return exit_for(e.code)


def _entry(argv: Optional[List[str]] = None) -> NoReturn:
    sys.exit(main(argv))


if __name__ == "__main__":
    _entry()
