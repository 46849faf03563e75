"""The checks a cover passes before a release kit is written, each with its reason.

Errors stop the kit (a store would reject the cover): not square, too small or too large, not
RGB with an sRGB profile, a format or file size the profile does not take, a QR code or barcode
on the art, words on the cover that look like a URL, handle, price or store name, metadata
(EXIF, GPS, XMP) carried along, or a cover identical or near-identical to one exported for
another release (a DCT perceptual hash, kept per release in a small ledger in the data folder).
A warning does not stop it: a cover that looks enlarged or blurred (little energy at high
spatial frequencies compared with the middle ones).
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms

from albumstudio.core.distributors import DistributorProfile
from albumstudio.core.text import display_name, printable

Decoder = tuple[str, Callable[[np.ndarray], str]]
NEAR_DUPLICATE_BITS = 10  # of 64: pHash distances at or below this are the same picture
SOFT_RATIO = 0.012  # high/mid spectral energy below this looks enlarged or blurred
LEDGER_NAME = "exported_covers.json"

_URL = re.compile(
    r"(https?://|www\.|\b[\w-]+\.(com|net|org|io|co|me|fm|app|music|link|ly|to|tv|de|uk)\b"
    r"|[\w.+-]+@[\w-]+\.\w+|(^|\s)@\w{2,})", re.IGNORECASE)
_PRICE = re.compile(r"([$€£¥]\s?\d|\d\s?[$€£¥]|\b\d+[.,]\d\d\s?(usd|eur|gbp)\b)", re.IGNORECASE)
_STORES = re.compile(r"\b(itunes|spotify|apple music|amazon|bandcamp|deezer|tidal|youtube|"
                     r"soundcloud|exclusive|limited edition|cd|dvd|vinyl)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    reason: str
    severity: str = "error"  # "error" stops the kit, "warning" is shown

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "reason": self.reason,
                "severity": self.severity}

    @property
    def mark(self) -> str:
        return "pass" if self.ok else ("FAIL" if self.severity == "error" else "warn")


def blocking(checks: Sequence[Check]) -> list[Check]:
    return [c for c in checks if not c.ok and c.severity == "error"]


# ---------------------------------------------------------------- measures

def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n))
    m[0] *= 1 / np.sqrt(2)
    return m * np.sqrt(2 / n)


_DCT32 = _dct_matrix(32)


def phash(image: Image.Image) -> str:
    """64-bit DCT perceptual hash (hex): the 8×8 lowest frequencies of a 32×32 grey copy,
    each bit set where the coefficient is above their median (the DC term left out)."""
    small = np.asarray(image.convert("L").resize((32, 32), Image.Resampling.BOX),
                       dtype=np.float64)
    coeffs = (_DCT32 @ small @ _DCT32.T)[:8, :8].ravel()
    bits = coeffs > np.median(coeffs[1:])
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def hash_distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def high_frequency_ratio(gray: np.ndarray, tile: int = 512) -> float | None:
    """Spectral energy at 1/4–1/2 cycles per pixel over that at 1/16–1/4, in the most detailed
    tiles (Hann-windowed); None when the picture is too plain to tell. A picture enlarged from
    a smaller one has almost nothing in the upper band."""
    h, w = gray.shape
    tile = min(tile, h, w)
    window = np.outer(np.hanning(tile), np.hanning(tile)).astype(np.float32)
    fy = np.fft.fftfreq(tile)[:, None]
    fx = np.fft.rfftfreq(tile)[None, :]
    radius = np.sqrt(fx * fx + fy * fy)
    high_band = (radius >= 0.25) & (radius <= 0.5)
    mid_band = (radius >= 1 / 16) & (radius < 0.25)
    bands = []
    for top in np.linspace(0, h - tile, 3).astype(int):
        for left in np.linspace(0, w - tile, 3).astype(int):
            patch = gray[top:top + tile, left:left + tile]
            power = np.abs(np.fft.rfft2((patch - patch.mean()) * window)) ** 2
            bands.append((float(power[mid_band].sum()), float(power[high_band].sum())))
    bands.sort(reverse=True)
    mid = sum(m for m, _ in bands[:3])
    if mid < 1e3 * tile * tile:  # flat colour: nothing to measure
        return None
    return sum(hi for _, hi in bands[:3]) / mid


# ---------------------------------------------------------------- the ledger of exported covers

def read_ledger(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return []
    entries = data.get("covers", []) if isinstance(data, dict) else []
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("phash"), str)
            and isinstance(e.get("release"), str)]


def remember_cover(path: Path, release: str, cover_hash: str, folder: str) -> None:
    """Add this release's cover to the ledger (atomically; a ledger that cannot be written is
    noted as a storage warning, the kit stands)."""
    from albumstudio.store.files import atomic_write_bytes
    from albumstudio.store.storage import is_storage_fault, note_unwritable

    entries = [e for e in read_ledger(path)
               if not (e["release"] == release and e["phash"] == cover_hash)]
    entries.append({"release": release, "phash": cover_hash, "folder": folder,
                    "date": time.strftime("%Y-%m-%d")})
    try:
        atomic_write_bytes(path, json.dumps({"covers": entries[-2000:]}, indent=1,
                                            ensure_ascii=False).encode("utf-8"))
    except OSError as exc:
        if not is_storage_fault(exc):
            raise
        note_unwritable(path.parent, exc, "the data folder",
                        "this cover is not remembered for the reused-art check")


# ---------------------------------------------------------------- the checks

def _jpeg_segments(data: bytes) -> list[bytes]:
    """The APP1 segments of a JPEG (EXIF and XMP live there), read from the markers only."""
    found, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker in (0xDA, 0xD9):  # start of scan: no more metadata segments
            break
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if marker == 0xE1:
            found.append(data[at + 4:at + 2 + length])
        at += 2 + length
    return found


def _png_metadata(data: bytes) -> tuple[bytes, bool]:
    """(the EXIF block, whether XMP is present) of a PNG, read from its chunk headers only."""
    exif, xmp, at = b"", False, 8
    while at + 8 <= len(data):
        length = int.from_bytes(data[at:at + 4], "big")
        kind = data[at + 4:at + 8]
        body = data[at + 8:at + 8 + length] if kind != b"IDAT" else b""
        if kind == b"eXIf":
            exif = body
        elif kind in (b"iTXt", b"tEXt", b"zTXt") and body.startswith(
                (b"XML:com.adobe.xmp\0", b"Raw profile type exif\0")):
            xmp = xmp or body.startswith(b"XML")
            exif = exif or (b"Exif" if body.startswith(b"Raw") else b"")
        elif kind == b"IEND":
            break
        at += 12 + length
    return exif, xmp


def _metadata_problem(data: bytes) -> str:
    """What metadata a JPEG or PNG carries ('EXIF, GPS, XMP'), without decoding its pixels."""
    if data.startswith(b"\x89PNG"):
        exif, xmp = _png_metadata(data)
    else:
        segments = _jpeg_segments(data)
        exif = next((s[6:] for s in segments if s.startswith(b"Exif\0\0")), b"")
        xmp = any(s.startswith(b"http://ns.adobe.com/xap/") for s in segments)
    found = []
    if exif:
        found.append("EXIF")
        try:
            parsed = Image.Exif()
            parsed.load(exif if exif.startswith(b"Exif") else b"Exif\0\0" + exif)
            if parsed.get_ifd(0x8825):
                found.append("GPS")
        except (ValueError, OSError, SyntaxError):
            pass
    if xmp:
        found.append("XMP")
    return ", ".join(found)


def reference_metadata(image: str | None) -> str:
    """What the reference photo carried that must not reach the cover ('EXIF, GPS' or '')."""
    if not image:
        return ""
    try:
        with Image.open(image) as img:
            exif = img.getexif()
            found = ["EXIF"] if len(exif) else []
            if len(exif) and exif.get_ifd(0x8825):
                found.append("GPS")
    except (OSError, ValueError):
        return ""
    return ", ".join(found)


def _icc_is_srgb(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as img:
        icc = img.info.get("icc_profile")
    if not icc:
        return False
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return "srgb" in (ImageCms.getProfileDescription(profile) or "").lower()


def find_codes(gray: np.ndarray, decoders: Sequence[Decoder]) -> str:
    """The text of the first QR code any decoder reads, at most 1024 px a side (a code a store
    would notice, a twentieth of the cover or more, has modules of 2 px or more there)."""
    step = max(1, -(-max(gray.shape) // 1024))
    view = np.ascontiguousarray(gray[::step, ::step]) if step > 1 else gray
    for _name, decode in decoders:
        text = decode(view)
        if text:
            return text
    return ""


def find_barcode(gray: np.ndarray) -> str:
    """A linear barcode (UPC, EAN, Code 128 …) zxing-cpp reads, as 'FORMAT: text'."""
    try:
        import zxingcpp
    except ImportError:
        return ""
    linear = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.LinearCodes)
    for found in zxingcpp.read_barcodes(np.ascontiguousarray(gray[::2, ::2]), formats=linear):
        return f"{found.format.name}: {found.text}"
    return ""


def text_problem(words: Sequence[str]) -> str:
    """Why the words drawn on the cover would be rejected ('' when they would not)."""
    for text in words:
        if not text:
            continue
        for pattern, what in ((_URL, "a web address, e-mail or handle"), (_PRICE, "a price"),
                              (_STORES, "a store, format or 'exclusive' wording")):
            hit = pattern.search(text)
            if hit:
                return f"'{display_name(text)}' contains {what} ('{hit.group(0).strip()}')"
    return ""


def check_cover(image: Image.Image, jpeg: bytes, png: bytes, profile: DistributorProfile, *,
                words: Sequence[str] = (), decoders: Sequence[Decoder] = (),
                release: str = "", ledger: Sequence[dict[str, Any]] = (),
                reference_had: str = "", upscaled_from: int = 0) -> list[Check]:
    """Every check of the kit's cover (``image``: the exported pixels; ``jpeg``/``png``: the
    bytes about to be written), in the order they are shown."""
    checks: list[Check] = []
    w, h = image.size
    checks.append(Check("square", w == h, f"{w}×{h}" + ("" if w == h else "; stores need 1:1")))
    big_enough = min(w, h) >= profile.min_px
    small_enough = profile.max_px is None or max(w, h) <= profile.max_px
    limit = f"at least {profile.min_px} px" + (f", at most {profile.max_px} px"
                                               if profile.max_px else "")
    checks.append(Check("size", big_enough and small_enough,
                        f"{w}×{h}; {profile.label} asks for {limit}"))
    with Image.open(io.BytesIO(jpeg)) as decoded:
        mode = decoded.mode
    srgb = _icc_is_srgb(jpeg)
    checks.append(Check("colour mode", mode in profile.colour_modes and srgb,
                        f"{mode}" + (" with an embedded sRGB profile" if srgb
                                     else " without an sRGB profile")
                        + ("" if mode in profile.colour_modes
                           else f"; {profile.label} takes {', '.join(profile.colour_modes)}")))
    checks.append(Check("format", "jpg" in profile.formats,
                        f"JPEG; {profile.label} takes {', '.join(profile.formats)}"))
    cap = profile.max_file_bytes
    size_mb = len(jpeg) / 1e6
    checks.append(Check("file size", cap is None or len(jpeg) <= cap,
                        f"cover.jpg is {size_mb:.2f} MB" + (f"; the limit is {cap / 1e6:g} MB"
                                                            if cap else "; no limit stated")))
    gray = np.asarray(image.convert("L"))
    code = find_codes(gray, decoders) if decoders else ""
    barcode = "" if code else find_barcode(gray)
    checks.append(Check("no QR code or barcode", not code and not barcode,
                        f"a code reading '{printable(code or barcode)[:80]}' is on the art; "
                        "codes belong on the poster" if code or barcode
                        else "none found by " + ", ".join(
                            [n for n, _ in decoders] + ["zxing-cpp (barcodes)"])))
    problem = text_problem(words)
    checks.append(Check("no URL or promotion in the words", not problem,
                        problem or "the title and artist drawn on the cover look clean"))
    carried = ", ".join(p for p in (_metadata_problem(jpeg), _metadata_problem(png)) if p)
    reason = (f"the cover files carry {carried}" if carried else "no EXIF, GPS or XMP in the "
              "cover files" + (f" (the reference photo had {reference_had}; not carried)"
                               if reference_had else ""))
    checks.append(Check("no EXIF or GPS", not carried, reason))
    mine = phash(image)
    twin = next((e for e in ledger if e["release"] != release
                 and hash_distance(e["phash"], mine) <= NEAR_DUPLICATE_BITS), None)
    checks.append(Check(
        "not reused from another release", twin is None,
        f"looks the same as the cover exported for '{twin['release']}' on {twin.get('date')}"
        if twin else "differs from every cover exported before for another release"))
    ratio = high_frequency_ratio(np.asarray(gray, dtype=np.float32))
    soft = ratio is not None and ratio < SOFT_RATIO
    why = ("too plain to measure" if ratio is None else
           f"fine-detail ratio {ratio:.3f} (under {SOFT_RATIO} looks enlarged)")
    if upscaled_from and upscaled_from < w:
        why += f"; enlarged from {upscaled_from} px"
    checks.append(Check("sharp, not upscaled-looking", not soft,
                        ("it looks blurred or enlarged: " if soft else "") + why, "warning"))
    return checks
