"""Social videos: they open with PyAV at the right size and length with audio; the loop's ends
match; a missing H.264 encoder falls back to WebM and says so; cancel leaves nothing."""

import tempfile
import threading

import av
import numpy as np
import pytest
from PIL import Image

from albumstudio.audio.clip_levels import cut, normalise
from albumstudio.core.clip import ClipRequest, VideoClipOptions
from albumstudio.core.errors import CancelledError
from albumstudio.engines import clip_video
from tests.support import synth
from tests.support.clip_song import song

SR = 44100


@pytest.fixture(scope="module")
def cover():
    rng = np.random.default_rng(0)
    return Image.fromarray((rng.random((64, 64, 3)) * 255).astype(np.uint8)).resize((800, 800))


@pytest.fixture(scope="module")
def clip():
    samples = song(SR, seconds=20.0)
    return normalise(cut(samples, SR, 2.0, 3.0), SR)[0]


def _frames(data, path):
    path.write_bytes(data)
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _check_video(path, data, size, seconds, rate=SR):
    path.write_bytes(data)
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert (video.width, video.height) == size
        assert video.codec_context.name == "h264" and video.format.name == "yuv420p"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == round(seconds * 30)
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.codec_context.sample_rate == rate
        assert float(audio.duration * audio.time_base) == pytest.approx(seconds, abs=1 / 30)
        samples = sum(f.samples for f in container.decode(audio=0))
    # the MP4 edit list trims AAC's priming; what is left over is the last frame's padding
    assert 0 <= samples - round(seconds * rate) < 1024


def test_a_square_video_with_audio(clip, cover, tmp_path):
    reports = []
    data, plan, frames = clip_video.clip_video(clip, SR, cover, "square", "Night Drive",
                                               "Artist", progress=reports.append)
    assert plan.media == "video/mp4" and frames == 90
    _check_video(tmp_path / "square.mp4", data, (1080, 1080), 3.0)
    assert [r.step for r in reports] == [0, 15, 30, 45, 60, 75]


def test_the_waveform_fills_as_the_clip_plays(clip, cover, tmp_path):
    data, _, _ = clip_video.clip_video(clip, SR, cover, "vertical", "Title", "Artist")
    frames = _frames(data, tmp_path / "vertical.mp4")
    assert frames[0].shape == (1920, 1080, 3)
    layout = clip_video.layout_for("vertical")
    left, top, width, height = layout.bar
    row = top + height // 2
    accent = np.array(clip_video.accent_colour(cover), dtype=float)

    def played(frame):
        line = frame[row, left:left + width].astype(float)
        return float(np.mean(np.abs(line - accent).sum(axis=1) < 60))

    shares = [played(frames[i]) for i in (0, 45, 89)]
    assert shares[0] < 0.05 and 0.4 < shares[1] < 0.6 and shares[2] > 0.95


def test_the_loop_starts_and_ends_on_the_same_frame(cover, tmp_path):
    data, plan, frames = clip_video.loop_video(cover, "Title", "Artist", 3.0)
    decoded = _frames(data, tmp_path / "loop.mp4")
    assert len(decoded) == frames == 90 and decoded[0].shape == (1920, 1080, 3)
    first, last, middle = (decoded[i].astype(int) for i in (0, -1, 45))
    assert np.abs(first - last).mean() < 0.5
    assert np.abs(first - middle).mean() > 3  # it moves in between
    with av.open(str(tmp_path / "loop.mp4")) as container:
        assert not container.streams.audio  # silent


def test_without_h264_the_video_is_webm_and_says_so(clip, cover, tmp_path, monkeypatch):
    monkeypatch.setattr(clip_video, "has_encoder", lambda name: name not in {"libx264", "aac"})
    plan, note = clip_video.choose_plan()
    assert plan.extension == ".webm" and "fallback: " in note and "VP9 and Opus" in note
    short = clip[: SR // 2]
    data, plan, _ = clip_video.clip_video(short, SR, cover, "square", "T", "A", plan=plan)
    (tmp_path / "v.webm").write_bytes(data)
    with av.open(str(tmp_path / "v.webm")) as container:
        assert container.streams.video[0].codec_context.name == "vp9"
        assert container.streams.audio[0].codec_context.name == "opus"


def test_cancel_stops_within_a_batch_and_leaves_no_file(clip, cover, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cancel = threading.Event()

    def progress(report):
        if report.step >= 30:
            cancel.set()

    with pytest.raises(CancelledError):
        clip_video.clip_video(clip, SR, cover, "square", "T", "A", progress=progress,
                              cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_the_engine_makes_a_vertical_clip_from_a_track(tmp_path):
    track = synth.write(tmp_path / "song.wav", song(22050, seconds=12.0), 22050)
    request = ClipRequest("social-video", str(track), 4.0, 2.0, VideoClipOptions("vertical"),
                          title="Song", artist="Me")
    result = clip_video.SocialVideoEngine().run(request)
    assert result.media == "video/mp4" and (result.width, result.height) == (1080, 1920)
    assert result.duration_s == pytest.approx(2.0)
    assert any(n.startswith("video: H.264 and AAC in MP4") for n in result.notes)
    _check_video(tmp_path / "v.mp4", result.data, (1080, 1920), 2.0, rate=22050)
