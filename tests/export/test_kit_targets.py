"""Export targets registered like engines: the registry lists the kit's parts, a target
registered by a test is made and written by the kit with its provenance, and an unknown or
unmet target is one sentence before anything is read or written."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.errors import InputError
from albumstudio.core.jobs import JobRecord, Output
from albumstudio.export.kit_targets import KitTarget, TargetContext, register
from albumstudio.export.kit_writer import KitEntry
from albumstudio.services.kit import KitRequest, kit_steps
from albumstudio.services.kit_targets import kit_targets
from tests.support.synth import music, write
from tests.test_cli import run_cli

BUILTIN = ("cover-jpeg", "cover-png", "poster-qr", "clip", "track")


def picture_png(side: int = 640, seed: int = 3) -> bytes:
    """A detailed picture (smooth colour plus grain), as a cover engine's PNG."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side] / side
    base = np.stack([x * 200, y * 180, (1 - x) * 160], axis=-1)
    pixels = np.clip(base + rng.normal(0, 40, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def track(tmp_path):
    return write(tmp_path / "song.wav", music(3.0, sr=22050, seed=5), 22050)


def given_cover(track, out, **kw) -> KitRequest:
    """A kit of a cover already made (the window's path): no track analysis, no clip."""
    return KitRequest(str(track), str(out), title="Night Drive", artist="Luma", clip=False,
                      record=False, cover_png=picture_png(),
                      cover_request={"engine": "design", "seed": 7, "title": "Night Drive"},
                      **kw)


def test_the_registry_lists_the_kits_parts_and_the_command_lists_the_registry(data_home):
    assert kit_targets().names()[:len(BUILTIN)] == BUILTIN
    assert [t.name for t in kit_targets().targets() if t.required] == ["cover-jpeg"]
    assert {"making the QR poster", "making the clip"} <= set(kit_steps())
    result = run_cli("kit", "--list-targets", "--json", env_home=data_home)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [t["name"] for t in listed] == list(BUILTIN)
    assert next(t for t in listed if t["name"] == "poster-qr")["needs"] == "qr_url"
    text = run_cli("kit", "--list-targets", env_home=data_home)
    assert "release.json" in text.stdout and text.stdout.splitlines()[0].startswith("cover-jpeg")


def test_a_registered_target_is_made_and_written_by_the_kit(kits, track, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    seen: list[TargetContext] = []

    def make(ctx: TargetContext) -> JobRecord:
        seen.append(ctx)
        assert ctx.cover_image is not None and ctx.cover_image.size == (3000, 3000)
        text = f"{ctx.fields.title} by {ctx.fields.artist}\n".encode()
        return JobRecord(kind="cover", engine="credits", request={"seed": 11, "lines": 1},
                         request_version=1, status="finished",
                         outputs=(Output("text/plain", data=text, bytes=len(text)),))

    def files(ctx: TargetContext) -> list[KitEntry]:
        assert ctx.record is not None
        return [KitEntry("extras/credits.txt", "credits", ctx.record.outputs[0].data,
                         provenance="credits")]

    register(KitTarget("credits", "Credits sheet", "extras/credits.txt", files, make=make,
                       step="writing the credits"))
    try:
        steps: list[str] = []
        result = kits.make(given_cover(track, out),
                           lambda p: steps.append(p.text) if p.step else None)
        manifest = json.loads((result.folder / "release.json").read_text("utf-8"))
    finally:
        kit_targets().unregister("credits")
    written = result.folder / "extras" / "credits.txt"
    assert written.read_text() == "Night Drive by Luma\n" and len(seen) == 1
    listed = {f["path"]: f for f in manifest["files"]}
    assert listed["extras/credits.txt"]["sha256"] == hashlib.sha256(
        written.read_bytes()).hexdigest()
    assert listed["extras/credits.txt"]["provenance"] == "credits"
    assert manifest["provenance"]["credits"]["engine"] == "credits"
    assert manifest["provenance"]["credits"]["seed"] == 11
    assert "writing the credits" in steps
    # the built-in parts are still all there (no link: no poster; clip=False: no clip)
    assert {"cover.jpg", "cover.png", "Luma - Night Drive.wav"} <= set(listed)
    assert "credits" not in kit_targets().names()


def test_only_the_targets_asked_for_are_written(kits, track, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = kits.make(given_cover(track, out, targets=("track",)))
    manifest = json.loads((result.folder / "release.json").read_text("utf-8"))
    # cover.jpg is always in (the track copy carries it in its tags)
    assert sorted(f["path"] for f in manifest["files"]) == ["Luma - Night Drive.wav",
                                                            "cover.jpg"]
    assert set(manifest["provenance"]) == {"cover", "track"}


@pytest.mark.parametrize("targets,sentence", [
    (("lyrics",), "There is no 'lyrics' export target; choose from: cover-jpeg, cover-png"),
    (("poster-qr",), "The 'poster-qr' export target needs a link for the poster (--qr URL)"),
])
def test_an_unknown_or_unmet_target_is_one_sentence_and_nothing_is_written(
        kits, track, tmp_path, targets, sentence):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError) as caught:
        kits.make(given_cover(track, out, targets=targets))
    assert str(caught.value).startswith(sentence) and "\n" not in str(caught.value)
    assert list(out.iterdir()) == []


def test_a_second_target_of_the_same_name_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register(KitTarget("clip", "Another clip", "x", lambda ctx: []))
    with pytest.raises(ValueError, match="step name"):
        register(KitTarget("later", "Later", "x", lambda ctx: [],
                           make=lambda ctx: None))  # type: ignore[arg-type,return-value]
    assert "later" not in kit_targets().names()

