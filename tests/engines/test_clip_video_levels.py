"""The social videos' sound, read back from the MP4 and measured: −14 ± 0.5 LUFS integrated and a
true peak at or under −1 dBTP after AAC, as the audio clips are (#16)."""

from __future__ import annotations

import av
import numpy as np
import pytest

from albumstudio.audio.clip_levels import measure
from albumstudio.core.clip import ClipRequest, VideoClipOptions
from albumstudio.engines import clip_video
from tests.support import synth
from tests.support.clip_song import song

SR = 44100


def _sound_of(data: bytes, path) -> tuple[np.ndarray, int]:
    """The video's audio stream decoded to (frames, channels) float64, and its rate."""
    path.write_bytes(data)
    blocks = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        for frame in container.decode(audio=0):
            block = frame.to_ndarray()
            if not frame.format.is_planar:
                block = block.reshape(-1, len(frame.layout.channels)).T
            blocks.append(block.astype(np.float64))
    return np.concatenate(blocks, axis=1).T, rate


@pytest.fixture(scope="module")
def track(tmp_path_factory):
    folder = tmp_path_factory.mktemp("track")
    # quiet music under sharp clicks: −14 LUFS needs 20 dB of limiting, so the clip's true peak
    # sits at the ceiling before AAC, where an encoder's overshoot would show
    music = song(SR, seconds=14.0)
    music = music if music.ndim == 1 else music[:, 0]
    clicks = np.zeros(music.shape[0])
    signs = np.random.default_rng(1).choice([-1.0, 1.0], size=music.shape[0] // (SR // 4) + 1)
    for k, sign in zip(range(0, music.shape[0] - 400, SR // 4), signs, strict=False):
        clicks[k:k + 400] += sign * np.exp(-np.arange(400) / 40)
    mixed = music * 0.3 + clicks * 0.9
    return str(synth.write(folder / "song.wav", np.stack([mixed, mixed * 0.9], axis=1), SR))


@pytest.mark.parametrize("layout", ["square", "vertical"])
def test_the_videos_sound_is_read_back_at_minus_14_lufs_under_minus_1_dbtp(track, layout,
                                                                        tmp_path):
    request = ClipRequest("social-video", track, 3.0, 4.0, VideoClipOptions(layout),
                          title="Song", artist="Me")
    result = clip_video.SocialVideoEngine().run(request)
    assert result.media == "video/mp4"
    sound, rate = _sound_of(result.data, tmp_path / f"{layout}.mp4")
    assert rate == SR and sound.shape[1] == 2
    assert abs(sound.shape[0] - 4.0 * SR) < 1024  # the whole clip, less AAC's last frame
    lufs, peak = measure(sound, rate)
    assert lufs == pytest.approx(-14.0, abs=0.5)
    assert -1.5 < peak <= -1.0  # limited to the ceiling, and still under it after AAC
    # the record's figures are those of the sound as read back, not before the encoder
    assert result.figures["lufs"] == pytest.approx(lufs, abs=0.05)
    assert result.figures["true_peak_dbtp"] == pytest.approx(peak, abs=0.05)


def test_an_encoder_overshoot_makes_the_video_again_limited_lower(track, monkeypatch):
    """A codec that adds 1.5 dB of peak (simulated on the read-back) gets the video made again
    with the clip limited lower, so what the video carries still reads ≤ −1 dBTP."""
    real_sound, real_video = clip_video.sound_of, clip_video.clip_video
    made = []

    def hotter(data):
        return real_sound(data) * 10 ** (1.5 / 20)

    def counted(*args, **kwargs):
        made.append(1)
        return real_video(*args, **kwargs)

    monkeypatch.setattr(clip_video, "sound_of", hotter)
    monkeypatch.setattr(clip_video, "clip_video", counted)
    request = ClipRequest("social-video", track, 3.0, 2.0, VideoClipOptions("square"),
                          title="Song", artist="Me")
    result = clip_video.SocialVideoEngine().run(request)
    assert len(made) == 2  # once at the ceiling, once limited lower by the overshoot
    lufs, peak = measure(hotter(result.data), SR)
    assert peak <= -1.0 and result.figures["true_peak_dbtp"] == pytest.approx(peak, abs=0.05)
    assert result.figures["lufs"] == pytest.approx(lufs, abs=0.05)
