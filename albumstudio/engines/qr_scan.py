"""The scan guarantee: two independent decoders read the code as people will meet it.

Views: the image at full size, at 50 % and at 25 % (never below ``MIN_MODULE_PX`` pixels per
module: no phone camera resolves less, so smaller views are read at that size), and a
simulated phone capture (slight perspective, uneven light, blur, sensor noise, JPEG at
quality 60). Decoders: zxing-cpp and OpenCV's QR detector. A check passes only when the
decoded text equals the payload exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from albumstudio.core.qr import ScanCheck, ScanReport

MIN_MODULE_PX = 4.0
CAPTURE_MODULE_PX = 6.0  # how large a module lands on a phone's sensor in the simulation
SCALES = (("full", 1.0), ("50%", 0.5), ("25%", 0.25))
DECODER_NAMES = ("zxing-cpp", "opencv")


def _gray(image: np.ndarray) -> np.ndarray:
    import cv2

    if image.ndim == 2:
        return np.ascontiguousarray(image)
    return np.ascontiguousarray(cv2.cvtColor(image[..., :3], cv2.COLOR_RGB2GRAY))


def decode_zxing(gray: np.ndarray) -> str:
    """zxing-cpp with its local-average binarizer, then with its global histogram one (as
    scanner apps do when the first finds nothing)."""
    import zxingcpp

    for binarizer in (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram):
        for found in zxingcpp.read_barcodes(gray, binarizer=binarizer):
            if found.format == zxingcpp.BarcodeFormat.QRCode:
                return str(found.text)
    return ""


def decode_opencv(gray: np.ndarray) -> str:
    """OpenCV's classic QR detector, then its ArUco-based detector (slower, finds more) when
    the classic one reads nothing."""
    import cv2

    for detector in (cv2.QRCodeDetector, cv2.QRCodeDetectorAruco):
        try:
            text, _points, _straight = detector().detectAndDecode(gray)
        except cv2.error:
            continue
        if text:
            return str(text)
    return ""


DECODERS: tuple[tuple[str, Callable[[np.ndarray], str]], ...] = (
    ("zxing-cpp", decode_zxing), ("opencv", decode_opencv))


def resized(gray: np.ndarray, scale: float) -> np.ndarray:
    import cv2

    if scale >= 0.999:
        return gray
    h, w = gray.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.ascontiguousarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))


def phone_capture(image: np.ndarray, module_px: float, seed: int = 0) -> np.ndarray:
    """``image`` as a phone would photograph it: reduced to about CAPTURE_MODULE_PX pixels per
    module, seen at a slight angle, lit unevenly, a little out of focus, with sensor noise,
    then saved as a JPEG at quality 60 (a grey array)."""
    import cv2

    rng = np.random.default_rng(seed)
    gray: np.ndarray = _gray(image).astype(np.float32)
    scale = min(1.0, CAPTURE_MODULE_PX / max(module_px, 1e-6))
    gray = resized(gray, scale)
    h, w = gray.shape
    pad = int(0.08 * max(h, w))
    gray = np.asarray(cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE))
    h, w = gray.shape
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    jitter = rng.uniform(-0.035, 0.035, size=(4, 2)) * np.array([w, h], dtype=np.float64)
    warp = cv2.getPerspectiveTransform(corners, (corners + jitter).astype(np.float32))
    gray = np.asarray(cv2.warpPerspective(gray, warp, (w, h), flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_REPLICATE))
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = ((xx / w - 0.5) * np.cos(angle) + (yy / h - 0.5) * np.sin(angle))
    light = 0.85 + 0.4 * along  # one side about 0.65, the other about 1.05
    radius = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2)
    light = light * (1.0 - 0.35 * radius)  # vignette
    gray = gray * light + 12.0
    gray = np.asarray(cv2.GaussianBlur(gray, (0, 0), 1.0))  # about a sixth of a module
    gray = gray + rng.normal(0.0, 3.0, gray.shape).astype(np.float32)
    gray8: np.ndarray = np.clip(gray, 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", gray8, [cv2.IMWRITE_JPEG_QUALITY, 60])
    if not ok:  # pragma: no cover - OpenCV always encodes a grey array
        return gray8
    decoded: np.ndarray = np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE))
    return decoded


def capture_seed(payload: str) -> int:
    """The same payload is always photographed the same way (reproducible reports)."""
    return int.from_bytes(hashlib.blake2b(payload.encode("utf-8"), digest_size=4).digest(),
                          "little")


def views(image: np.ndarray, module_px: float, payload: str) -> list[tuple[str, np.ndarray]]:
    """Every view the guarantee covers, as grey arrays."""
    gray = _gray(image)
    out = [(name, resized(gray, max(scale, min(1.0, MIN_MODULE_PX / max(module_px, 1e-6)))))
           for name, scale in SCALES]
    out.append(("capture", phone_capture(gray, module_px, capture_seed(payload))))
    return out


def scan(image: np.ndarray, payload: str, module_px: float, *, fail_fast: bool = False,
         prefix: str = "") -> ScanReport:
    """Decode ``image`` (RGB or grey; ``module_px`` pixels per module) in every view with
    both decoders. With ``fail_fast`` the report stops at the first failed check."""
    checks: list[ScanCheck] = []
    read: dict[tuple[int, ...], dict[str, str]] = {}  # views the floor made identical
    for view, gray in views(image, module_px, payload):
        same = read.setdefault((*gray.shape, view == "capture"), {})
        for name, decode in DECODERS:
            text = same[name] = same[name] if name in same else decode(gray)
            ok = text == payload
            checks.append(ScanCheck(prefix + view, name, ok, "" if ok else text[:80]))
            if fail_fast and not ok:
                return ScanReport(tuple(checks))
    return ScanReport(tuple(checks))


def scans_anywhere(image: np.ndarray, payload: str) -> bool:
    """True when either decoder reads exactly ``payload`` from ``image`` as it is."""
    gray = _gray(image)
    return any(decode(gray) == payload for _name, decode in DECODERS)
