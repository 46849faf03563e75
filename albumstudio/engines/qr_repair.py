"""Making an artistic QR code scan while changing it as little as it can.

Each round mixes every module that reads wrong with black (dark modules) or white (light
ones, the quiet zone included) by the smallest share that brings the mean luminance of its
centre (what a decoder samples at full size) and of the whole module (what it averages in a
small view or a blurred photo) to the round's target; the art keeps its hue and texture.
Later rounds tighten the targets; the last leaves every module at pure black or white, which
any decoder reads. The rounds stop as soon as the code scans in every view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from albumstudio.core.qr import ScanReport
from albumstudio.engines.qr_code import QUIET, QrSymbol

# (dark target, light target) per round, for the mean luminance (0–255) of a module's centre
# and of the whole module (what a decoder reading a small view averages)
ROUNDS = ((100.0, 155.0), (80.0, 175.0), (60.0, 195.0), (40.0, 215.0), (20.0, 235.0),
          (0.0, 255.0))
CENTRE = 0.5  # the share of a module's side a decoder samples at full size
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class Repaired:
    image: np.ndarray
    report: ScanReport
    rounds: int
    mean_change: float
    changed_modules: int


def targets(symbol: QrSymbol) -> tuple[np.ndarray, np.ndarray]:
    """Per module of the code with its quiet zone: True where it must be dark, and True where
    it is structure (finders, separators, timing, alignment, quiet zone) to correct whole."""
    n = symbol.with_quiet
    dark = np.zeros((n, n), dtype=bool)
    dark[QUIET:QUIET + symbol.count, QUIET:QUIET + symbol.count] = symbol.modules
    structure = np.ones((n, n), dtype=bool)
    structure[QUIET:QUIET + symbol.count, QUIET:QUIET + symbol.count] = symbol.function_mask()
    return dark, structure


def correct(image: np.ndarray, symbol: QrSymbol, module_px: int, dark_max: float,
            light_min: float) -> tuple[np.ndarray, int]:
    """One round: every module of ``image`` (the code with its quiet zone, ``module_px`` per
    module, RGB uint8) whose centre or whole reads on the wrong side of its target is mixed
    with black (or white) by the smallest share that brings both to the target; the new image
    and how many modules changed."""
    n, m = symbol.with_quiet, module_px
    pixels = image.astype(np.float32).reshape(n, m, n, m, 3)
    dark, _structure = targets(symbol)
    centre = np.zeros((m, m), dtype=bool)
    side = max(1, int(round(CENTRE * m)))
    start = (m - side) // 2
    centre[start:start + side, start:start + side] = True
    luma = pixels @ LUMA  # (n, m, n, m)
    whole_mean = luma.mean(axis=(1, 3))
    centre_mean = (luma * centre[None, :, None, :]).sum(axis=(1, 3)) / centre.sum()
    goal = np.where(dark, dark_max, light_min)
    end = np.where(dark, 0.0, 255.0)

    def share(mean: np.ndarray) -> np.ndarray:
        wrong = np.where(dark, mean > goal, mean < goal)
        span = np.where(np.abs(mean - end) < 1e-3, 1.0, mean - end)
        return np.where(wrong, (mean - goal) / span, 0.0)

    mix = np.clip(np.maximum(share(whole_mean), share(centre_mean)), 0.0, 1.0)
    weight = mix.astype(np.float32)[:, None, :, None, None]
    fixed = pixels * (1.0 - weight) + end[:, None, :, None, None].astype(np.float32) * weight
    out = np.clip(np.rint(fixed), 0, 255).astype(np.uint8).reshape(image.shape)
    return out, int((mix > 0).sum())


def repair(image: np.ndarray, symbol: QrSymbol, module_px: int,
           check: Callable[[np.ndarray], ScanReport]) -> Repaired:
    """Rounds of :func:`correct` until ``check`` passes (the last round leaves every module at
    its target, which any decoder reads); the first image is returned as it is if it scans."""
    report = check(image)
    current = image
    rounds = 0
    changed: set[int] = set()
    for dark_max, light_min in ROUNDS:
        if report.ok:
            break
        current, count = correct(current, symbol, module_px, dark_max, light_min)
        changed.add(count)
        rounds += 1
        report = check(current)
    mean_change = float(np.abs(current.astype(np.int16) - image.astype(np.int16)).mean())
    differs = (current != image).reshape(symbol.with_quiet, module_px, symbol.with_quiet,
                                         module_px, -1).any(axis=(1, 3, 4))
    return Repaired(current, report, rounds, mean_change, int(differs.sum()))
