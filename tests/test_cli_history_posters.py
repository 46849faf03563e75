"""``albumstudio history rerun`` for QR posters: the poster request is rebuilt from its record
and made again through the poster service, to the same bytes, as PNG or PDF (#15)."""

from __future__ import annotations

import pytest

from albumstudio import cli
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.qr import PlainQrOptions, QrRequest
from albumstudio.services.covers import CoverService
from albumstudio.services.posters import PosterService
from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import default_paths
from tests.support.requests import cover_request

LINK = "https://band.example/pre-save/harbour"


@pytest.fixture
def posters():
    """A design cover, then a PNG story poster and a PDF A4 poster with that cover on them."""
    paths = default_paths().ensure()
    store = HistoryStore(paths.history)
    try:
        cover = CoverService(ModelCache(), store).run(cover_request(
            "design", prompt="harbour at night", title="Harbour Lights", artist="Nadia Sol",
            size=256, seed=3, layout="centered"))
        service = PosterService(ModelCache(), store)
        picture = cover.outputs[0].path
        png = service.run(QrRequest("plain", LINK, PlainQrOptions(style="rounded"),
                                    image_path=picture, title="Harbour Lights",
                                    artist="Nadia Sol", size="story"))
        pdf = service.run(QrRequest("plain", LINK, PlainQrOptions(style="dots"),
                                    image_path=picture, title="Harbour Lights", size="a4",
                                    format="pdf"))
    finally:
        store.close()
    return png, pdf


def run(capsys, *argv):
    code = cli.main(["history", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def entries() -> list[int]:
    store = HistoryStore(default_paths().history)
    try:
        return [r.id for r in store.records("poster", 50)]
    finally:
        store.close()


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_rerun_makes_the_same_poster_bytes(posters, capsys, tmp_path, fmt):
    entry = posters[0] if fmt == "png" else posters[1]
    stored = open(entry.outputs[0].path, "rb").read()
    out = tmp_path / f"again.{fmt}"
    code, printed, err = run(capsys, "rerun", str(entry.id), "--out", str(out))
    assert code == 0, err
    assert out.read_bytes() == stored
    assert f"identical to entry {entry.id}" in printed and "poster" in printed
    assert "kept in the history as entry" in err and len(entries()) == 3


def test_rerun_of_a_poster_refuses_a_wrong_name_and_an_existing_file(posters, capsys, tmp_path):
    png, _ = posters
    wrong = tmp_path / "again.pdf"  # the entry is a PNG poster
    code, _, err = run(capsys, "rerun", str(png.id), "--out", str(wrong))
    assert code == 2 and err.startswith("albumstudio: error: ") and err.count("\n") == 1
    assert ".png" in err and not wrong.exists()
    kept = tmp_path / "mine.png"
    kept.write_bytes(b"the artist's own file")
    code, _, err = run(capsys, "rerun", str(png.id), "--out", str(kept))
    assert code == 2 and kept.read_bytes() == b"the artist's own file"
    assert len(entries()) == 2  # nothing was made for a file that could not be written
    code, _, _ = run(capsys, "rerun", str(png.id), "--out", str(kept), "--overwrite",
                     "--no-history")
    assert code == 0 and kept.read_bytes() == open(png.outputs[0].path, "rb").read()
    assert len(entries()) == 2


def test_a_poster_whose_picture_is_gone_is_one_sentence(posters, capsys, tmp_path):
    from albumstudio.services.history import rerun_poster

    png, _ = posters
    store = HistoryStore(default_paths().history)
    try:
        item = store.item_of(png.id)
        request = dict(item.request, image_path=str(tmp_path / "moved-away.png"))
        from dataclasses import replace

        from albumstudio.core.errors import InputError

        with pytest.raises(InputError) as failed:
            rerun_poster(PosterService(ModelCache(), store), replace(item, request=request))
        assert "moved-away.png" in str(failed.value)
    finally:
        store.close()
