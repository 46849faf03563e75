"""The proofs of the one-path design: a new engine is one module, one settings box (mapped from
its options) and one register call; the window and the CLI make equal requests and identical
bytes; every cover, from either face, lands in the history."""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, replace

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtWidgets import QCheckBox, QComboBox, QSpinBox

from albumstudio import cli
from albumstudio.core.cover import CoverImage, CoverRequest, CoverResult
from albumstudio.core.cover_options import option
from albumstudio.core.jobs import ProgressFn, steps_progress
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.png_settings import settings_of, strip_settings
from albumstudio.core.track import ReleaseTags
from albumstudio.engines.registry import EngineSpec, engines, register
from albumstudio.services import Services
from albumstudio.services.covers import compressed_png
from albumstudio.store.history import HistoryStore
from albumstudio.store.paths import default_paths
from albumstudio.store.track_edits import TrackEdits
from tests.support import synth

# -- a toy engine, declared only here: one options type, one engine, one register call -------


@dataclass(frozen=True)
class StripesOptions:
    stripes: int = option(6, label="Stripes", min=1, max=64)
    colour: str = option("teal", label="Colour", choices=("teal", "amber"))
    bold: bool = option(False, label="Bold edges")


class StripesEngine:
    def __init__(self, models: ModelCache) -> None:
        self.models = models

    def run(self, request: CoverRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> CoverResult:
        options: StripesOptions = request.options
        images = []
        for index in range(request.variants):
            image = Image.new("RGB", (request.size, request.size), "black")
            draw = ImageDraw.Draw(image)
            width = request.size / options.stripes
            fill = (0, 128, 128) if options.colour == "teal" else (255, 191, 0)
            for i in range(0, options.stripes, 2):
                draw.rectangle((i * width, 0, (i + 1) * width - 1, request.size), fill=fill,
                               outline="white" if options.bold else None)
            if progress is not None:
                progress(steps_progress(1, 1, "drawing stripes", index, request.variants))
            out = io.BytesIO()
            image.save(out, "PNG")
            images.append(CoverImage(out.getvalue(), request.size, request.size,
                                     request.seed + index))
        return CoverResult(request, tuple(images), 0.01, notes=("stripes drawn",))


@pytest.fixture
def stripes_engine():
    spec = register(EngineSpec(
        name="stripes", kind="cover", label="Stripes (test engine)",
        options_type=StripesOptions, factory=StripesEngine,
        description="Vertical stripes, for the test.",
        defaults={"size": 256}, limits={"size": (64, 1024), "variants": (1, 4)}))
    yield spec
    engines().unregister("stripes")


@pytest.fixture
def track(tmp_path):
    return synth.write(tmp_path / "night drive.wav", synth.music(8.0, sr=22050, bpm=128), 22050)


def test_a_registered_engine_appears_everywhere_and_its_covers_reach_the_history(
        stripes_engine, qtbot, tmp_path, track, capsys):
    from albumstudio.ui.main_window import MainWindow

    # the CLI's --engine choices come from the registry
    args = cli.build_parser().parse_args(["cover", str(track), "--engine", "stripes",
                                          "--out", "x.png"])
    assert args.engine == "stripes"
    window = MainWindow(default_paths().ensure())
    qtbot.addWidget(window)
    window.show()
    try:
        panel = window.cover_panel
        index = panel.engine.findData("stripes")
        assert index >= 0 and panel.engine.itemText(index) == "Stripes (test engine)"
        panel.engine.setCurrentIndex(index)
        # the settings box is mapped from the options type
        box = panel.forms["stripes"]
        assert box.isVisibleTo(panel) and not panel.forms["design"].isVisibleTo(panel)
        stripes, colour, bold = (box.widget(n) for n in ("stripes", "colour", "bold"))
        assert isinstance(stripes, QSpinBox) and stripes.maximum() == 64
        assert isinstance(colour, QComboBox) and colour.count() == 2
        assert isinstance(bold, QCheckBox)
        assert panel.size_box.value() == 256 and panel.size_box.maximum() == 1024  # its defaults, limits
        stripes.setValue(9)
        panel.seed_lock.setChecked(True)  # seed 0, as the CLI's default
        colour.setCurrentIndex(colour.findData("amber"))
        # it runs through the model queue and lands in the history
        with qtbot.waitSignal(window.cover.result, timeout=30000) as done:
            panel.generate_button.click()
        record = done.args[0]
        assert record.engine == "stripes" and record.status == "finished" and record.id
        assert record.request["options"] == {"stripes": 9, "colour": "amber", "bold": False}
        with Image.open(io.BytesIO(record.outputs[0].data)) as made:
            assert made.size == (256, 256) and made.getpixel((10, 10)) == (255, 191, 0)
        qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5000)
        assert window.canvas.mode == "cover"
    finally:
        window.shutdown()
    # the same engine from the command line, its options by name
    out = tmp_path / "stripes.png"
    assert cli.main(["cover", str(track), "--engine", "stripes", "--set", "stripes=9",
                     "--set", "colour=amber", "--out", str(out)]) == 0
    # same request, same pixels (the saved file is compressed for keeping, with its settings)
    assert strip_settings(out.read_bytes()) == compressed_png(record.outputs[0].data)
    capsys.readouterr()
    assert cli.main(["history", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["engine"] for e in listed] == ["stripes", "stripes"]
    assert cli.main(["cover", str(track), "--engine", "stripes", "--set", "stripes=99",
                     "--out", str(tmp_path / "bad.png")]) == 2
    assert "stripes must be between 1 and 64" in capsys.readouterr().err


def _wait_for_track(window, qtbot, path):
    session = window.session
    with qtbot.waitSignal(session.music_tags_changed, timeout=120000,
                          check_params_cb=lambda result: result is not None):
        assert window.open_path(str(path))
    assert session.analysis is not None


def test_the_window_and_the_cli_make_equal_requests_and_identical_covers(qtbot, tmp_path, track,
                                                                         capsys):
    """A genre preset (from the artist's saved genre), a photo, saved track edits (title,
    artist, a removed tag) and the same words and seed: one request, one set of bytes."""
    from albumstudio.ui.main_window import MainWindow

    paths = default_paths().ensure()
    services = Services(paths)
    reading = services.tracks.read(str(track))
    hidden = reading.named[0][0]
    edits = TrackEdits(release=ReleaseTags(title="Night Drive", artist="The Echoes",
                                           genre="Rock"), hidden_tags=[hidden])
    services.tracks.save_edits(reading.content_hash, edits)
    services.close()
    photo = tmp_path / "photo.png"
    pixels = np.zeros((240, 320, 3), np.uint8)
    pixels[:, :, 0] = np.linspace(0, 255, 320, dtype=np.uint8)[None, :]
    pixels[60:180, 100:220] = (240, 240, 240)
    Image.fromarray(pixels).save(photo)
    words, seed, size = "neon rain over the city", 3, 512

    window = MainWindow(paths)
    qtbot.addWidget(window)
    window.show()
    try:
        _wait_for_track(window, qtbot, track)
        assert window.session.tags.title == "Night Drive" and hidden not in window.cover.music_tags()
        with qtbot.waitSignal(window.reference.image_changed, timeout=20000):
            window.reference.open(str(photo))
        panel = window.cover_panel
        panel.style_edit.setText(words)
        panel.seed.setValue(seed)
        panel.seed_lock.setChecked(True)
        panel.size_box.setValue(size)
        with qtbot.waitSignal(window.cover.result, timeout=60000) as done:
            panel.generate_button.click()
        from_window = done.args[0]
    finally:
        window.shutdown()
    out = tmp_path / "cli.png"
    assert cli.main(["cover", str(track), "--image", str(photo), "--style", words,
                     "--seed", str(seed), "--size", str(size), "--out", str(out)]) == 0
    capsys.readouterr()
    history = HistoryStore(paths.history)
    try:
        from_cli, also_window = history.records()
    finally:
        history.close()
    assert also_window.id == from_window.id
    assert from_cli.request == from_window.request
    request = from_window.request
    assert request["options"]["layout"] == "stacked" and request["options"]["treatment"] == "halftone"
    assert request["title"] == "Night Drive" and request["artist"] == "The Echoes"
    assert hidden not in request["mood"]["tags"] and words in request["prompt"]
    assert strip_settings(out.read_bytes()) == compressed_png(from_window.outputs[0].data)
    assert settings_of(out.read_bytes()) == from_window.request  # one variant: its request
    assert from_cli.outputs[0].file_hash == from_window.outputs[0].file_hash


def test_no_history_keeps_the_cli_cover_out_of_the_history(tmp_path, track, capsys):
    import stat

    from albumstudio.store.files import UMASK

    out = tmp_path / "c.png"
    assert cli.main(["cover", str(track), "--size", "256", "--no-history", "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~UMASK  # the umask's mode, not 0600
    assert cli.main(["history", "list"]) == 0
    assert "The history is empty" in capsys.readouterr().out
    assert cli.main(["cover", str(track), "--size", "256", "--seed", "4",
                     "--out", str(tmp_path / "d.png")]) == 0
    capsys.readouterr()
    assert cli.main(["history", "list"]) == 0
    line = capsys.readouterr().out.strip()
    assert "cover" in line and "design" in line and "seed 4" in line and "256×256" in line


def test_history_list_json_gives_the_fields_newest_first(tmp_path, track, capsys):
    for seed in (1, 2):
        assert cli.main(["cover", str(track), "--size", "256", "--seed", str(seed),
                         "--out", str(tmp_path / f"{seed}.png")]) == 0
    capsys.readouterr()
    assert cli.main(["history", "list", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["seed"] for e in entries] == [2, 1]
    first = entries[0]
    for key in ("id", "kind", "engine", "seed", "size", "created", "file"):
        assert key in first
    assert first["kind"] == "cover" and first["size"] == [256, 256]
    assert first["app_version"] and first["timings"]["generate"] > 0
    assert strip_settings((tmp_path / "2.png").read_bytes()) == compressed_png(
        open(first["file"], "rb").read())


def test_a_changed_engine_version_reruns_with_a_note(tmp_path, track):
    paths = default_paths().ensure()
    services = Services.open(paths)
    try:
        request = services.covers.registry.new_request("design", size=256, seed=9)
        first = services.covers.run(request)
        item = services.history.items()[0]
        again = services.covers.rerun(item, record=False)
        assert again.outputs[0].data == open(first.outputs[0].path, "rb").read()
        assert not again.warnings()
        newer = replace(item, engine_version=item.engine_version - 1)
        changed = services.covers.rerun(newer, record=False)
        assert any("has changed since this cover was made" in w for w in changed.warnings())
    finally:
        services.close()


def test_an_unexpected_cli_error_writes_the_traceback_to_the_log_and_says_where(
        monkeypatch, capsys, data_home):
    from albumstudio.store.logs import stop_log

    def broken(args):
        raise RuntimeError("the index fell over")

    from albumstudio.cli import history as history_command

    monkeypatch.setattr(history_command, "cmd_list", broken)
    try:
        assert cli.main(["history", "list"]) == 1
    finally:
        stop_log()
    err = capsys.readouterr().err.strip()
    assert err.startswith("albumstudio: unexpected error (RuntimeError: the index fell over)")
    assert "\n" not in err and "Traceback" not in err
    log = default_paths().logs / "albumstudio.log"
    assert f"the details are in {log}." in err
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "RuntimeError: the index fell over" in text


def test_output_paths_are_printed_without_raw_control_characters(tmp_path, track, capsys):
    out = tmp_path / "evil\x1b[2J\x07.png"
    assert cli.main(["cover", str(track), "--size", "256", "--no-history",
                     "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\x07" not in printed
    assert "evil\\x1b[2J\\x07.png" in printed and out.exists()
