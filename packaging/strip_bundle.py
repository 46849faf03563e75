"""Slim a built bundle's _internal folder (packaging/build-linux.sh runs it after PyInstaller).

    python packaging/strip_bundle.py dist/AlbumStudio/_internal

1. Debug symbols and static symbol tables: the wheels ship them (libtorch_cpu alone carries
   about 89 MB, libpython 17 MB). ``strip --strip-unneeded`` keeps the dynamic symbols every
   library and extension module is loaded by. Each library is stripped into a copy first and
   kept only when the copy's loadable segments are still page-aligned: libraries that
   auditwheel rewrote with patchelf (numpy's and scipy's OpenBLAS) come out of strip unloadable
   ("ELF load command address/offset not page-aligned"), so those stay as they are; so do
   libraries with a FIPS checksum (.hmac/.chk) beside them.
2. The same library copied twice (numpy.libs and scipy.libs both carry libgfortran and
   libquadmath): the second copy becomes a relative link to the first.

The executable itself is never touched: PyInstaller appends its archive to it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ELF = b"\x7fELF"


def is_shared_library(path: Path) -> bool:
    name = path.name
    if path.is_symlink() or not path.is_file() or not (name.endswith(".so") or ".so." in name):
        return False
    with path.open("rb") as f:
        return f.read(4) == ELF


def segments_aligned(path: Path) -> bool:
    """Whether every PT_LOAD segment of a 64-bit little-endian ELF file can be mapped: its
    file offset and address agree modulo its alignment (what the dynamic loader checks)."""
    with path.open("rb") as f:
        head = f.read(64)
        if head[:4] != ELF or head[4] != 2 or head[5] != 1:
            return True  # not a 64-bit little-endian ELF: not ours to judge
        phoff = struct.unpack_from("<Q", head, 0x20)[0]
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr = struct.unpack_from("<IIQQ", table, i * phentsize)
        p_align = struct.unpack_from("<Q", table, i * phentsize + 48)[0]
        if p_type == 1 and p_align > 1 and (p_vaddr - p_offset) % p_align:
            return False
    return True


def strip_libraries(internal: Path, strip: str) -> tuple[int, list[str]]:
    """Strip every shared library under ``internal`` that stays loadable; (bytes saved, the
    libraries left unstripped because strip would break them)."""
    saved, kept = 0, []
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / "lib.so"
        for lib in sorted(p for p in internal.rglob("*") if is_shared_library(p)):
            if any(Path(f"{lib}{ext}").exists() for ext in (".hmac", ".chk")) \
                    or (lib.parent / f".{lib.name}.hmac").exists():
                continue
            shutil.copy2(lib, trial)
            done = subprocess.run([strip, "--strip-unneeded", str(trial)], capture_output=True)
            if done.returncode != 0:
                continue  # strip does not understand it: left as it is
            if not segments_aligned(trial):
                kept.append(str(lib.relative_to(internal)))
                continue
            size = lib.stat().st_size
            if trial.stat().st_size < size:
                saved += size - trial.stat().st_size
                os.replace(trial, lib)
    return saved, kept


def link_duplicates(internal: Path, min_size: int = 200_000) -> int:
    seen: dict[tuple[int, str], Path] = {}
    saved = 0
    for path in sorted(p for p in internal.rglob("*") if p.is_file() and not p.is_symlink()):
        size = path.stat().st_size
        if size < min_size:
            continue
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        key = (size, digest.hexdigest())
        if key in seen:
            path.unlink()
            path.symlink_to(os.path.relpath(seen[key], path.parent))
            saved += size
        else:
            seen[key] = path
    return saved


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: strip_bundle.py BUNDLE/_internal", file=sys.stderr)
        return 2
    internal = Path(argv[0])
    strip = shutil.which("strip")
    if strip is None:
        print("strip_bundle.py: strip is missing (apt-get install binutils): the bundle keeps "
              "its debug symbols", file=sys.stderr)
    else:
        saved, kept = strip_libraries(internal, strip)
        print(f"stripped: {saved / 1e6:.1f} MB saved"
              + (f"; left unstripped (strip breaks them): {', '.join(kept)}" if kept else ""))
    print(f"duplicates linked: {link_duplicates(internal) / 1e6:.1f} MB saved")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
