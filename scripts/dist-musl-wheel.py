#!/usr/bin/env python3
"""Names musl's libc in a musllinux wheel the way musl systems do, for make dist.

    scripts/dist-musl-wheel.py WHEEL PATCHELF

zig links a musl shared object against a libc stub whose soname is `libc.so`, so the
extension module records `NEEDED libc.so`. musl's dynamic linker resolves any `libc.*` name to
itself, so the module loads either way, but Alpine's own toolchain writes
`libc.musl-<arch>.so.1`, and that is the name auditwheel's musllinux policy allows: with
`libc.so` it calls the wheel plain `linux_<arch>`. This rewrites the entry with patchelf
(--replace-needed), updates RECORD, and writes the wheel back in place (same member order,
timestamps from SOURCE_DATE_EPOCH).
"""

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zipfile

ARCH = {"x86_64": "x86_64", "aarch64": "aarch64"}


def main():
    wheel, patchelf = sys.argv[1], sys.argv[2]
    arch = next((a for a in ARCH if wheel.endswith(f"_{a}.whl")), None)
    if arch is None or "musllinux" not in os.path.basename(wheel):
        sys.exit(f"dist-musl-wheel: {wheel} is not a musllinux x86_64/aarch64 wheel")
    musl = f"libc.musl-{ARCH[arch]}.so.1"
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip cannot hold dates before 1980
    with zipfile.ZipFile(wheel) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    patched, out = 0, []
    with tempfile.TemporaryDirectory() as tmp:
        for info, data in members:
            if info.filename.endswith(".so"):
                f = os.path.join(tmp, "m.so")
                with open(f, "wb") as fh:
                    fh.write(data)
                needed = subprocess.run([patchelf, "--print-needed", f], check=True, capture_output=True, text=True).stdout.split()
                if "libc.so" in needed:
                    subprocess.run([patchelf, "--replace-needed", "libc.so", musl, f], check=True)
                    with open(f, "rb") as fh:
                        data = fh.read()
                    patched += 1
            out.append((info, data))
    if patched == 0:
        sys.exit(f"dist-musl-wheel: no shared object in {wheel} needs libc.so")
    hashes = {
        i.filename: "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode() + f",{len(d)}"
        for i, d in out
    }
    final = []
    for info, data in out:
        if info.filename.endswith(".dist-info/RECORD"):
            rows = []
            for line in data.decode().splitlines():
                name = line.rsplit(",", 2)[0]
                rows.append(f"{name},{hashes[name]}" if name in hashes and not name.endswith("RECORD") else line)
            data = ("\n".join(rows) + "\n").encode()
        final.append((info, data))
    tmp_wheel = wheel + ".tmp"
    with zipfile.ZipFile(tmp_wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in final:
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.external_attr = info.external_attr
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, data)
    os.replace(tmp_wheel, wheel)
    print(f"dist-musl-wheel: {os.path.basename(wheel)}: NEEDED libc.so -> {musl} ({patched} module)")


if __name__ == "__main__":
    main()
