"""Proof of the release kit: an independent checker validates a kit made from a synthesized
track and photo. It reads the files with Pillow, ImageCms, mutagen, zxing-cpp and hashlib and
the profile from the data file, and never calls the kit's own check functions. Hostile names,
a read-only folder and a full disk (faults injected: tests run as root) leave nothing behind.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
from dataclasses import replace
from pathlib import Path

import mutagen
import numpy as np
import pytest
from PIL import Image, ImageCms

from albumstudio.core.errors import InputError
from albumstudio.export import kit_writer
from albumstudio.services import Services
from albumstudio.services.kit import KitCheckError, KitRequest, KitService
from albumstudio.store.paths import DataPaths
from albumstudio.store.storage import StorageError
from tests.support.canvas_helpers import make_photo
from tests.support.synth import music, write

URL = "https://example.com/night-drive"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def profile_rules(name: str) -> dict:
    root = Path(__file__).resolve().parents[2]
    data = json.loads((root / "resources" / "distributors.json").read_text("utf-8"))
    rules = {p["name"]: p for p in data["profiles"]}
    generic, chosen = rules["generic"], rules[name]
    return {k: chosen[k] if chosen.get(k) is not None else generic[k]
            for k in ("min_px", "max_px", "formats", "max_file_mb", "colour_modes")}


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def independent_check(folder: Path, original: Path, original_hash: str, profile: str) -> None:
    rules = profile_rules(profile)
    manifest = json.loads((folder / "release.json").read_text("utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert on_disk == set(listed) | {"release.json"}
    for path, entry in listed.items():
        assert sha256(folder / path) == entry["sha256"], path
        assert (folder / path).stat().st_size == entry["bytes"]
    jpeg = folder / "cover.jpg"
    with Image.open(jpeg) as img:
        assert img.format == "JPEG" and img.mode in rules["colour_modes"]
        w, h = img.size
        icc = img.info.get("icc_profile")
        assert not img.getexif() and "xmp" not in img.info
    assert w == h and w >= rules["min_px"] and (rules["max_px"] is None or w <= rules["max_px"])
    assert "jpg" in rules["formats"]
    assert jpeg.stat().st_size <= rules["max_file_mb"] * 1_000_000
    description = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    assert "sRGB" in description
    with Image.open(folder / "cover.png") as master:
        assert master.size == (w, h) and "icc_profile" in master.info
        assert not master.getexif()
    cover = jpeg.read_bytes()
    tracks = [folder / e["path"] for e in manifest["files"] if e["role"] == "track"]
    assert tracks
    for track in tracks:
        audio = mutagen.File(track)
        assert bytes(audio.pictures[0].data) == cover
        assert audio.pictures[0].type == 3
        assert audio.tags["title"] == [manifest["release"]["title"]]
    assert sha256(original) == original_hash
    cover_made = manifest["provenance"]["cover"]
    assert cover_made["engine"] == "design" and cover_made["app_version"]
    assert isinstance(cover_made["seed"], int) and cover_made["request"]["title"]
    assert all("license" in m for m in cover_made["models"])
    assert all(c["ok"] or c["severity"] == "warning" for c in manifest["checks"])


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("kit")
    services = Services.open(DataPaths(root / "data", root / "cache").ensure())
    track = write(root / "song.flac", music(8.0, sr=44100, seed=2), 44100)
    photo = make_photo(root / "photo.jpg", (900, 700))
    with Image.open(photo) as img:  # a phone photo: EXIF with a GPS position
        exif = img.getexif()
        exif[0x010F] = "PhoneMaker"
        exif.get_ifd(0x8825)[2] = (52.0, 22.0, 1.0)
        img.save(photo, exif=exif)
    kits = KitService(services)
    out = root / "out"
    out.mkdir()
    request = KitRequest(str(track), str(out), image=str(photo), title="Night Drive",
                         artist="Ané", qr_url=URL, profile="generic", seed=4)
    prepared = kits.prepare(request)
    yield kits, prepared, track, out
    services.close()


def test_the_kit_passes_an_independent_checker(studio):
    kits, prepared, track, out = studio
    before = sha256(track)
    reference = [c for c in prepared.checks if c.name == "no EXIF or GPS"][0]
    assert reference.ok and "the reference photo had EXIF, GPS" in reference.reason
    result = kits.write(prepared)
    assert result.folder == out / "Ané - Night Drive"
    independent_check(result.folder, track, before, "generic")
    import zxingcpp

    with Image.open(result.folder / "poster-qr.png") as poster:
        found = zxingcpp.read_barcodes(np.asarray(poster.convert("L")))
    assert [f.text for f in found] == [URL]
    names = listing(result.folder)
    clip_name = "clips/Ané - Night Drive (8 s).mp3"
    assert names == sorted(["cover.jpg", "cover.png", "poster-qr.png", "clips", clip_name,
                            "Ané - Night Drive.flac", "release.json"])
    clip = mutagen.File(result.folder / clip_name)
    assert 7.0 <= clip.info.length <= 8.5
    assert json.loads((result.folder / "release.json").read_text())["provenance"]["clip"][
        "engine"] == "highlight"
    again = kits.write(prepared)  # the same release again: never over the first
    assert again.folder.name == "Ané - Night Drive (2)"
    assert listing(result.folder) == names
    assert sha256(result.folder / "cover.jpg") == sha256(again.folder / "cover.jpg")


def test_hostile_titles_stay_inside_the_folder_with_safe_names(studio):
    kits, prepared, track, out = studio
    from albumstudio.export.track_tags import ReleaseFields

    hostile = replace(prepared, folder_name="../../CON", fields=ReleaseFields(
        title="../x\x00", artist="NUL"))
    result = kits.write(hostile)
    assert result.folder.parent == out
    assert result.folder.name == "_CON"
    assert all(p.resolve().is_relative_to(out.resolve()) for p in result.folder.rglob("*"))
    assert [p.name for p in result.folder.glob("*.flac")] == ["NUL - x_.flac"]


@pytest.mark.parametrize("fault,words", [
    (errno.ENOSPC, "the disk is full"), (errno.EROFS, "the drive is read-only"),
    (errno.EACCES, "you do not have permission")])
@pytest.mark.parametrize("where", ["temp folder", "third file", "tagging"])
def test_storage_faults_are_one_sentence_and_leave_nothing(studio, monkeypatch, fault, words,
                                                           where):
    kits, prepared, track, out = studio
    before = listing(out)
    calls = {"n": 0}

    def fail(*_args, **_kw):
        raise OSError(fault, os.strerror(fault))

    def third(path, data):
        calls["n"] += 1
        if calls["n"] == 3:
            fail()
        real_write(path, data)

    real_write = kit_writer._write_bytes
    if where == "temp folder":
        monkeypatch.setattr(kit_writer, "_new_temp_folder", fail)
    elif where == "third file":
        monkeypatch.setattr(kit_writer, "_write_bytes", third)
    else:
        from albumstudio.export import track_tags

        monkeypatch.setattr(track_tags, "tag_file", fail)
    with pytest.raises(StorageError) as caught:
        kits.write(replace(prepared, folder_name="Faulty"))
    assert words in str(caught.value) and str(caught.value).count(".") <= 2
    assert "Faulty" in str(caught.value)
    assert listing(out) == before


def test_a_file_in_place_of_the_folder_and_a_missing_folder_are_sentences(studio, tmp_path):
    kits, prepared, track, out = studio
    not_a_folder = tmp_path / "kit.txt"
    not_a_folder.write_text("mine")
    with pytest.raises(InputError, match="is a file, not a folder"):
        kits.write(replace(prepared, request=replace(prepared.request,
                                                     out=str(not_a_folder))))
    assert not_a_folder.read_text() == "mine"
    with pytest.raises(InputError, match="does not exist"):
        kits.make(replace(prepared.request, out=str(tmp_path / "nowhere")))


def test_a_failing_check_writes_nothing(studio):
    kits, prepared, track, out = studio
    before = listing(out)
    with pytest.raises(KitCheckError) as caught:
        kits.make(replace(prepared.request, title="Out now on Spotify", qr_url=None,
                          clip=False))
    assert "no URL or promotion in the words" in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert listing(out) == before


def test_cancelling_while_the_clip_is_made_beside_the_cover_stops_both(studio):
    import threading

    from albumstudio.core.errors import CancelledError

    kits, prepared, track, out = studio
    before = listing(out)
    cancel = threading.Event()

    def progress(report):
        if report.text.startswith("exporting the cover"):
            cancel.set()

    with pytest.raises(CancelledError):
        kits.make(replace(prepared.request, title="Cancelled"), progress, cancel)
    assert not [t for t in threading.enumerate() if t.name == "kit-clip"]
    assert listing(out) == before


def test_the_same_art_for_another_release_is_refused_after_a_kit_is_written(studio,
                                                                          monkeypatch):
    kits, prepared, track, out = studio
    kits.write(replace(prepared, folder_name="Ané - First Single"))
    ledger = json.loads(kits.ledger_path.read_text("utf-8"))["covers"]
    assert any(e["release"] == "Ané - First Single" for e in ledger)
    # the artist brings back the very same picture for a new release
    monkeypatch.setattr(kits.services.covers, "run", lambda *_a, **_k: prepared.cover)
    before = listing(out)
    with pytest.raises(KitCheckError) as caught:
        kits.make(replace(prepared.request, title="Second Single", qr_url=None,
                          clip=False))
    # (the first kit of this module, or the one just written: both carry this picture)
    assert re.search(r"looks the same as the cover exported for '(Ané - Night Drive|Ané - First "
                     r"Single|_CON)'", str(caught.value))
    assert listing(out) == before


def test_a_model_size_cover_is_enlarged_warned_about_and_still_written(studio, tmp_path):
    kits, prepared, track, out = studio
    small = io.BytesIO()
    with Image.open(make_photo(tmp_path / "sd.png", (512, 512), seed=8)) as img:
        img.convert("RGB").save(small, "PNG")
    made_by = {"engine": "diffusion", "seed": 11, "title": "", "artist": "",
               "prompt": "neon rain", "options": {"model": "tiny-sd"}, "version": 3}
    result = kits.make(KitRequest(str(track), str(out), title="Rain", artist="Ané", clip=False,
                                  cover_png=small.getvalue(), cover_request=made_by))
    with Image.open(result.folder / "cover.jpg") as cover:
        assert cover.size == (3000, 3000)
    soft = [c for c in result.checks if c.name == "sharp, not upscaled-looking"][0]
    assert not soft.ok and soft.severity == "warning" and "enlarged from 512 px" in soft.reason
    manifest = json.loads((result.folder / "release.json").read_text("utf-8"))
    assert any("no super-resolution model installed" in n for n in manifest["notes"])
    assert manifest["provenance"]["cover"]["models"][0]["id"] == "tiny-sd"
    assert manifest["provenance"]["cover"]["models"][0]["license"] == "unknown"


@pytest.fixture
def small_drive(tmp_path):
    """A real 1 MB tmpfs (root may mount one; skipped where it may not), full or read-only."""
    import subprocess

    where = tmp_path / "drive"
    where.mkdir()

    def mount(options: str) -> Path:
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                           check=True, capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            pytest.skip("cannot mount a tmpfs here")
        mounted.append(where)
        return where

    mounted: list[Path] = []
    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], capture_output=True, timeout=10)


@pytest.mark.parametrize("options,words", [("size=1m", "the disk is full"),
                                           ("size=1m,ro", "the drive is read-only")])
def test_a_real_full_or_read_only_drive_leaves_nothing(studio, small_drive, options, words):
    kits, prepared, track, out = studio
    drive = small_drive(options)
    with pytest.raises(StorageError) as caught:
        kits.write(replace(prepared, request=replace(prepared.request, out=str(drive))))
    assert words in str(caught.value)
    assert list(drive.iterdir()) == []


def test_a_clip_that_cannot_be_made_leaves_the_rest_of_the_kit(studio, monkeypatch, tmp_path):
    kits, prepared, track, out = studio

    def no_clip(*_args, **_kw):
        raise InputError("The track is too quiet to find a highlight.")

    monkeypatch.setattr(kits.services.clips, "run", no_clip)
    # a ledger of its own: the same photo's cover was exported for other releases above
    monkeypatch.setattr(type(kits), "ledger_path", property(lambda _self: tmp_path / "l.json"))
    result = kits.make(replace(prepared.request, title="Quiet", qr_url=None))
    manifest = json.loads((result.folder / "release.json").read_text("utf-8"))
    assert "clip: not made (The track is too quiet to find a highlight.)" in manifest["notes"]
    assert not (result.folder / "clips").exists()
    assert "clip" not in manifest["provenance"]
