"""The static library a Swift package links, checked from C with the committed header.

No Swift compiler runs here, so this does by hand what the generated Swift does first when it
loads (`uniffiEnsureOmegaSwiftInitialized`): compare the library's contract version and API
checksums with the numbers written in the committed OmegaVerify.swift (and omega_swift.kt).
Then it calls blake2b256 through the C ABI, with RustBuffers as Swift builds them, from a C
program that includes Sources/OmegaVerifyFFI/OmegaVerifyFFI.h and links libomega_swift.a.
"""

import re
import subprocess

# rustc --print native-static-libs for this crate on Linux (README.md lists them for Swift).
NATIVE_LIBS = ["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"]

C_MAIN = r"""
#include <stdio.h>
#include <string.h>
#include "OmegaVerifyFFI.h"

static int call_ok(RustCallStatus *st, const char *what) {
    if (st->code != 0) { fprintf(stderr, "%s: call status %d\n", what, st->code); return 0; }
    return 1;
}

int main(void) {
    printf("contract %u\n", (unsigned)ffi_omega_swift_uniffi_contract_version());
@CHECKSUMS@
    /* blake2b256(data: "abc"): a Vec<u8> argument is a RustBuffer holding a big-endian i32
       length then the bytes; so is the result. */
    uint8_t arg[7] = {0, 0, 0, 3, 'a', 'b', 'c'};
    ForeignBytes fb = { (int32_t)sizeof arg, arg };
    RustCallStatus st;
    memset(&st, 0, sizeof st);
    RustBuffer in = ffi_omega_swift_rustbuffer_from_bytes(fb, &st);
    if (!call_ok(&st, "rustbuffer_from_bytes")) return 1;
    RustBuffer out = uniffi_omega_swift_fn_func_blake2b256(in, &st);
    if (!call_ok(&st, "blake2b256")) return 1;
    printf("blake2b256 ");
    for (uint64_t i = 0; i < out.len; i++) printf("%02x", out.data[i]);
    printf("\n");
    ffi_omega_swift_rustbuffer_free(out, &st);
    return call_ok(&st, "rustbuffer_free") ? 0 : 1;
}
"""


def test_static_library_matches_the_committed_swift_and_kotlin(swift_package_dir, kotlin_file, static_lib, tmp_path):
    header_dir = swift_package_dir / "Sources" / "OmegaVerifyFFI"
    header = (header_dir / "OmegaVerifyFFI.h").read_text()
    swift = (swift_package_dir / "Sources" / "OmegaVerify" / "OmegaVerify.swift").read_text()
    kotlin = kotlin_file.read_text()

    checksum_fns = re.findall(r"\b(uniffi_omega_swift_checksum_\w+)\(void", header)
    # one per exported function (7 + 20 log functions), plus the registry client: Registry's
    # constructor and 8 methods, and RegistryFetcher.get
    assert len(checksum_fns) == 37, checksum_fns
    prints = "\n".join(f'    printf("{f} %u\\n", (unsigned){f}());' for f in checksum_fns)
    src = tmp_path / "abi.c"
    src.write_text(C_MAIN.replace("@CHECKSUMS@", prints))
    exe = tmp_path / "abi"
    subprocess.run(
        ["gcc", "-std=c11", "-Wall", "-Werror", "-D_Nullable=", "-D_Nonnull=",
         "-I", str(header_dir), str(src), str(static_lib), *NATIVE_LIBS, "-o", str(exe)],
        check=True,
    )
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    got = dict(line.split(" ", 1) for line in out.splitlines())

    # 00000020: the serialized length (32), then the digest of "abc".
    assert got["blake2b256"] == (
        "00000020" "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
    )

    swift_contract = re.search(r"let bindings_contract_version = (\d+)", swift).group(1)
    kotlin_contract = re.search(r"val bindings_contract_version = (\d+)", kotlin).group(1)
    assert got["contract"] == swift_contract == kotlin_contract

    for f in checksum_fns:
        swift_sum = re.search(rf"if \({f}\(\) != (\d+)\)", swift)
        kotlin_sum = re.search(rf"if \(\(lib\.{f}\(\) and 0xFFFF\) != (\d+)\)", kotlin)
        assert swift_sum and kotlin_sum, f
        assert got[f] == swift_sum.group(1) == kotlin_sum.group(1), f


def test_swift_api_names(swift_package_dir):
    """The Swift names of DESIGN §5, as generated."""
    swift = (swift_package_dir / "Sources" / "OmegaVerify" / "OmegaVerify.swift").read_text()
    for decl in [
        "public func digestDir(path: String)throws  -> String",
        "public func checkPackage(path: String, digest: String? = nil, keys: [String] = [], "
        "threshold: UInt32 = UInt32(1))throws  -> Report",
        "public func verifyFile(path: String, publicKey: String, signature: String? = nil, "
        "legacy: Bool = false)throws  -> String",
        "public func verifyEd25519(publicKey: Data, message: Data, signature: Data) -> Bool",
        "public func blake2b256(data: Data) -> Data",
        "public func verifySignify(message: Data, signatureText: String, publicKey: String)throws",
        "enum OmegaError: Swift.Error",
        "public struct Report",
        "public struct Problem",
        "public struct SignatureReport",
        # Log verification (src/log.rs).
        "public func verifyNote(note: Data, vkeys: [String])throws  -> VerifiedNote",
        "public func verifyCheckpoint(note: Data, policy: String, now: UInt64? = nil, "
        "maxAge: UInt64 = UInt64(86400))throws  -> VerifiedCheckpoint",
        "public func verifyInclusion(index: UInt64, size: UInt64, leafHash: String, proof: [String], "
        "root: String)throws",
        "public func proveInclusion(index: UInt64, size: UInt64, root: String, tiles: [String: Data])"
        "throws  -> InclusionProof",
        "public func readEntry(index: UInt64, size: UInt64, root: String, tiles: [String: Data])throws  -> Data",
        "public func replayLog(entries: [Data], stop: Bool = false) -> ReplayResult",
        "public enum Freshness",
    ]:
        assert decl in swift, decl
