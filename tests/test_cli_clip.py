"""``albumstudio clip`` through ``albumstudio.cli.main``: files, exit codes, one sentence."""

import pytest

from albumstudio import cli
from albumstudio.audio.clip_levels import measure
from albumstudio.export.audio_export import read_back
from tests.support import synth
from tests.support.clip_song import CHORUS_STARTS, song


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    return str(synth.write(tmp_path_factory.mktemp("cli-clip") / "song.wav", song(22050),
                           22050))


def test_the_proposed_highlight_as_ogg_opus(track, tmp_path, capsys):
    out = tmp_path / "hook.ogg"
    assert cli.main(["clip", track, "--seconds", "15", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "hook.ogg (15.00 s, " in printed.out and "(the proposed highlight)" in printed.out
    assert "kept in the history as entry 1" in printed.err
    decoded, rate = read_back(out.read_bytes(), ".ogg")
    assert rate == 48000 and decoded.shape[0] == 15 * 48000
    lufs, peak = measure(decoded, rate)
    assert abs(lufs + 14) <= 0.5 and peak <= -1.0
    start = float(printed.out.split(", ")[1].split("–")[0])
    assert min(abs(start - c) for c in CHORUS_STARTS) < 0.15


def test_an_opus_name_gets_ogg_opus(track, tmp_path, capsys):
    out = tmp_path / "hook.opus"
    assert cli.main(["clip", track, "--seconds", "5", "--start", "33", "--out", str(out),
                     "--no-history"]) == 0
    assert out.read_bytes()[:4] == b"OggS" and b"OpusHead" in out.read_bytes()[:200]
    decoded, rate = read_back(out.read_bytes(), ".opus")
    assert rate == 48000 and decoded.shape[0] == 5 * 48000


def test_a_given_start_as_flac_without_history(track, tmp_path, capsys):
    out = tmp_path / "part.flac"
    code = cli.main(["clip", track, "--seconds", "10", "--start", "3.5", "--out", str(out),
                     "--no-history"])
    assert code == 0
    assert "3.50–13.50 s" in capsys.readouterr().out
    decoded, rate = read_back(out.read_bytes(), ".flac")
    assert decoded.shape[0] == 10 * rate


@pytest.mark.parametrize(("args", "words"), [
    (["--seconds", "0.5", "--start", "2"], "A clip must be at least 1 second long"),
    (["--seconds", "10", "--start", "200"], "outside the 88.0 s track"),
    (["--seconds", "10", "--start", "85"], "runs past the end"),
    (["--seconds", "120"], "shorter than a 120 s clip"),
    (["--seconds", "nan"], "must be a number of seconds"),
    (["--seconds", "10", "--start", "inf"], "must be numbers of seconds"),
    (["--seconds", "12", "--video", "loop"], "A loop is 3–8 s long"),
])
def test_bad_input_is_one_sentence_exit_2_nothing_written(track, tmp_path, capsys, args, words):
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / ("clip.mp4" if "--video" in args else "clip.wav")
    assert cli.main(["clip", track, *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("albumstudio: error: ") and words in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert list(folder.iterdir()) == []


def test_an_extension_we_cannot_write_is_refused_before_any_work(track, tmp_path, capsys):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    for name, words in (("clip.aiff", "not '.aiff'"), ("clip.mov", "not '.mov'")):
        extra = ["--video", "square"] if name.endswith(".mov") else []
        assert cli.main(["clip", track, "--seconds", "15", *extra,
                         "--out", str(tmp_path / name)]) == 2
        assert words in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_square_video_with_a_cover(track, tmp_path, capsys):
    import av
    from PIL import Image

    image = tmp_path / "cover.png"
    Image.new("RGB", (300, 300), (200, 40, 90)).save(image)
    out = tmp_path / "post.mp4"
    code = cli.main(["clip", track, "--seconds", "2", "--start", "40", "--video", "square",
                     "--image", str(image), "--title", "Hook", "--artist", "Me",
                     "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr()
    assert "post.mp4 (2.00 s, 1080×1080, 40.00–42.00 s)" in printed.out
    assert "video: H.264 and AAC in MP4" in printed.err
    with av.open(str(out)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == \
            (1080, 1080)
        assert container.streams.audio[0].codec_context.name == "aac"


def test_a_cover_that_is_not_a_picture_is_one_sentence(track, tmp_path, capsys):
    bad = tmp_path / "cover.png"
    bad.write_text("not a picture")
    out = tmp_path / "post.mp4"
    code = cli.main(["clip", track, "--seconds", "2", "--start", "1", "--video", "square",
                     "--image", str(bad), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("albumstudio: error: ") and "cover.png" in err
    assert len(err.splitlines()) == 1 and not out.exists()
