"""`albumstudio qr` and the poster service: files that scan, history entries, and one sentence
with exit code 2 (nothing written) for bad input."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from albumstudio.cli import main
from albumstudio.engines.qr_scan import scans_anywhere
from tests.test_cli import run_cli

LINK = "https://distrokid.com/hyperfollow/nightowls/midnight-drive"


def art(path):
    y, x = np.mgrid[0:300, 0:400]
    pixels = np.stack([x * 0.6, y * 0.8, 255 - x * 0.5], axis=-1)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return str(path)


def test_cli_poster_in_a_real_process_is_kept_in_the_history(tmp_path, data_home):
    out = tmp_path / "poster.png"
    result = run_cli("qr", LINK, "--image", art(tmp_path / "cover.png"), "--title", "Midnight",
                     "--artist", "Owls", "--modules", "dots", "--out", out, env_home=data_home)
    assert result.returncode == 0, result.stderr
    assert "scans with zxing-cpp and opencv" in result.stdout
    with Image.open(out) as poster:
        assert poster.size == (1080, 1080)
        assert scans_anywhere(np.asarray(poster.convert("RGB")), LINK)
    listing = run_cli("history", "list", "--json", env_home=data_home)
    entries = json.loads(listing.stdout)
    assert [e["kind"] for e in entries] == ["poster"]
    assert entries[0]["engine"] == "plain"
    assert any(n["text"].startswith("scan: scans with") for n in entries[0]["notes"])


def test_pdf_story_and_cover_from_the_history(tmp_path, data_home, capsys):
    from albumstudio.services import Services
    from albumstudio.store.paths import default_paths

    services = Services.open(default_paths().ensure())
    try:
        with open(art(tmp_path / "c.png"), "rb") as handle:
            entry = services.history.add("cover", handle.read(), ".png", width=400, height=300)
        entry_id = entry if isinstance(entry, int) else entry.id
    finally:
        services.close()
    out = tmp_path / "story.pdf"
    assert main(["qr", LINK, "--cover", str(entry_id), "--size", "story", "--out",
                 str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert "1080×1920" in capsys.readouterr().out


def test_code_only(tmp_path, capsys):
    out = tmp_path / "code.png"
    assert main(["qr", "héllo wörld ✓", "--code-only", "--no-history", "--dark", "#202040",
                 "--light", "#fff8e8", "--out", str(out)]) == 0
    with Image.open(out) as code:
        pixels = np.asarray(code.convert("RGB"))
    assert tuple(pixels[0, 0]) == (255, 248, 232)  # the quiet zone in the light colour
    assert scans_anywhere(pixels, "héllo wörld ✓")


@pytest.mark.parametrize(("args", "words"), [
    (["", "--out", "{out}"], "payload is empty"),
    (["x" * 1300, "--out", "{out}"], "1273"),
    (["x", "--dark", "#777777", "--light", "#888888", "--out", "{out}"], "contrast"),
    (["x", "--size", "billboard", "--out", "{out}"], "no poster size 'billboard'"),
    (["x", "--out", "{existing}"], "already exists"),
    (["x", "--format", "pdf", "--out", "{out}"], "needs a .pdf name"),
    (["x", "--engine", "neon", "--out", "{out}"], "no 'neon' poster engine"),
    (["x", "--guidance", "9", "--out", "{out}"], "does not apply to the plain engine"),
    (["x", "--image", "{missing}", "--out", "{out}"], "missing.jpg"),
    (["x", "--engine", "art", "--model", "{missing}", "--out", "{out}"], "not installed"),
    (["x", "--engine", "art", "--conditioning", "9", "--out", "{out}"], "between 0 and 5"),
])
def test_bad_input_is_one_sentence_exit_2_nothing_written(tmp_path, capsys, args, words):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    existing = tmp_path / "mine.png"
    existing.write_bytes(b"my own poster")
    names = {"out": str(tmp_path / "new.png"), "existing": str(existing),
             "missing": str(tmp_path / "missing.jpg")}
    code = main(["qr", *[a.format(**names) for a in args], "--no-history"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert words in err
    assert err.count("\n") == 1 and err.startswith("albumstudio: error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.png"]
    assert existing.read_bytes() == b"my own poster"


def test_overwrite_replaces_only_when_asked(tmp_path, capsys):
    out = tmp_path / "p.png"
    out.write_bytes(b"old")
    assert main(["qr", LINK, "--no-history", "--out", str(out), "--overwrite"]) == 0
    with Image.open(io.BytesIO(out.read_bytes())) as img:
        assert img.size == (1080, 1080)


def test_service_records_a_poster_job_and_a_failed_one(tmp_path):
    from albumstudio.core.errors import InputError
    from albumstudio.core.qr import PlainQrOptions, QrRequest
    from albumstudio.services import Services
    from albumstudio.store.paths import default_paths

    services = Services.open(default_paths().ensure())
    try:
        job = services.posters.run(QrRequest("plain", LINK, PlainQrOptions(), title="T"))
        assert job.id and job.kind == "poster" and job.status == "finished"
        assert job.outputs[0].media == "image/png" and job.outputs[0].path
        stored = services.history.get(job.id)
        assert stored.request["payload"] == LINK
        assert QrRequest.from_dict(stored.request) == QrRequest("plain", LINK, PlainQrOptions(),
                                                                title="T")
        with pytest.raises(InputError):
            services.posters.run(QrRequest("plain", LINK, PlainQrOptions(
                logo_path=str(tmp_path / "no-logo.png"))))
        kinds = [(r.kind, r.status) for r in services.history.records("poster", 10)]
        assert ("poster", "failed") in kinds and ("poster", "finished") in kinds
        assert services.posters.registry.names("poster")[0] == "plain"
        assert "plain" not in services.posters.registry.names("cover")
    finally:
        services.close()


def test_a_cjk_title_is_set_in_the_bundled_cjk_font_in_png_and_pdf(tmp_path, capsys):
    """Japanese and Korean words on a poster never come out as boxes, PDF included."""
    for fmt in ("png", "pdf"):
        out = tmp_path / f"poster.{fmt}"
        assert main(["qr", LINK, "--title", "真夜中のドライブ", "--artist", "한밤",
                     "--format", fmt, "--no-history", "--out", str(out)]) == 0
    pdf = (tmp_path / "poster.pdf").read_bytes()
    assert b"WenQuanYiMicroHei" in pdf  # embedded, subset
    import pypdfium2

    page = pypdfium2.PdfDocument(str(tmp_path / "poster.pdf"))[0]
    text = page.get_textpage().get_text_range()
    assert "真夜中のドライブ" in text and "한밤" in text
