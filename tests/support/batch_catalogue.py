"""A small label catalogue for the batch tests: synthesized tracks and photos, a CSV naming
them by paths relative to itself, and helpers to compare kits made by different runs."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from pathlib import Path

from tests.support.canvas_helpers import make_photo
from tests.support.synth import music, write

URL = "https://example.com/label/first"


def _distinct_photo(path: Path, i: int) -> Path:
    """Photos that do not look alike to the kit's perceptual hash (a label's covers differ)."""
    from PIL import Image, ImageOps

    make_photo(path, (640, 640), seed=10 + i)
    with Image.open(path) as img:
        picture = img.convert("RGB")
    picture = [picture, ImageOps.invert(picture).transpose(Image.Transpose.FLIP_TOP_BOTTOM),
               picture.rotate(90).transpose(Image.Transpose.FLIP_LEFT_RIGHT)][i % 3]
    picture.save(path, quality=92)
    return path


def make_catalogue(root: Path, rows: int = 3, seconds: float = 4.0,
                   broken: bool = False, name: str = "label.csv", stamp: int | None = None,
                   ) -> tuple[Path, dict[str, tuple[Path, str, str]]]:
    """``root``/label.csv and its files; {folder name: (track, its SHA-256, profile)}. With
    ``broken``, one more row whose .wav holds no audio (it fails while being made). With
    ``stamp``, the catalogue's modification time (what its kits record as "created")."""
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    lines = ["Track,Image,Title,Artist,Style words,QR link,Profile,Engine,Seed"]
    expected = {}
    for i in range(rows):
        suffix = ".flac"  # the release-kit checker reads FLAC pictures
        track = write(media / f"song{i}{suffix}",
                      music(seconds, sr=22050, bpm=84 + 24 * i, key_root_hz=196 + 30 * i,
                            seed=i + 1), 22050)
        photo = _distinct_photo(media / f"photo{i}.jpg", i)
        profile = "distrokid" if i == 1 else "generic"
        lines.append(f"media/{track.name},media/{photo.name},Song {i},Label Band {i},"
                     f"{'warm dusk' if i == 2 else ''},{URL if i == 0 else ''},{profile},"
                     f"design,{i + 3}")
        expected[f"Label Band {i} - Song {i}"] = (
            track, hashlib.sha256(track.read_bytes()).hexdigest(), profile)
    if broken:
        (media / "broken.wav").write_bytes(b"RIFF not really a wave file")
        lines.append("media/broken.wav,,Broken,Label Band 9,,,generic,design,1")
    catalogue = root / name
    catalogue.write_text("\n".join(lines) + "\n", "utf-8")
    if stamp is not None:
        os.utime(catalogue, (stamp, stamp))
    return catalogue, expected


def kit_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of a kit, release.json included, by its path inside it, byte for byte."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def worker_processes() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.is_alive()]
