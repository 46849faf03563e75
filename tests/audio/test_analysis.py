import functools
import importlib.util
import json
import math
import threading

import numpy as np
import pytest

from albumstudio.audio.analysis import analyze_file, analyze_stream
from albumstudio.core.analysis import AnalysisResult
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.store.cache import ContentCache
from tests.support.synth import music, write

SR = 22050
C4_HZ = 261.63
HAVE_DECODE = importlib.util.find_spec("albumstudio.audio.decode") is not None


def blocks(frames: np.ndarray, size: int = 8192):
    for start in range(0, len(frames), size):
        yield frames[start:start + size]


def analyse(frames: np.ndarray, sr: int = SR, size: int = 8192, **kwargs) -> AnalysisResult:
    return analyze_stream(blocks(frames, size), sr, frames.shape[1], **kwargs)


@functools.cache
def a_minor_120() -> AnalysisResult:
    return analyse(music(20, sr=SR, bpm=120, key_root_hz=220.0, minor=True))


@functools.cache
def c_major_90() -> AnalysisResult:
    return analyse(music(20, sr=SR, bpm=90, key_root_hz=C4_HZ, minor=False, seed=1))


def test_120_bpm_in_a_minor():
    # the true tempo only (no 60/240 octave errors accepted): librosa's tempo prior is centred
    # on 120 BPM and the beat-interval refinement removes the tempogram's ±2.5 % lag grid
    result = a_minor_120()
    assert result.tempo_bpm == pytest.approx(120, rel=0.03)
    assert (result.key, result.mode) == ("A", "minor")
    assert result.key_confidence > 0.5


def test_90_bpm_in_c_major():
    result = c_major_90()
    assert result.tempo_bpm == pytest.approx(90, rel=0.03)
    assert (result.key, result.mode) == ("C", "major")


def test_figures_are_complete_finite_and_on_the_curve_grid():
    result = a_minor_120()
    assert result.duration == pytest.approx(20.0)
    assert (result.sample_rate, result.channels) == (SR, 2)
    assert abs(len(result.energy_curve) - result.duration / 0.5) <= 1
    assert len(result.novelty_curve) == len(result.energy_curve)
    for curve in (result.energy_curve, result.novelty_curve):
        assert all(0.0 <= v <= 1.0 for v in curve)
    assert max(result.energy_curve) == 1.0
    beats = np.array(result.beat_times)
    assert len(beats) > 30 and np.all(np.diff(beats) > 0) and beats[-1] <= result.duration
    assert 0.3 < result.energy <= 1.0
    assert 500 < result.brightness_hz < 8000
    assert 1.0 < result.onset_density < 4.0  # one noise burst per beat: 2 per second
    numbers = [v for v in result.to_dict().values() if isinstance(v, float)]
    assert all(math.isfinite(v) for v in numbers)
    assert result.section_times == ()  # a steady loop has no section changes


def test_section_changes_are_found():
    first = music(10, sr=SR, bpm=120, key_root_hz=220.0, minor=True)
    second = 0.7 * music(10, sr=SR, bpm=120, key_root_hz=2 * C4_HZ, minor=False, seed=1)
    third = music(10, sr=SR, bpm=120, key_root_hz=220.0, minor=True, seed=2)
    result = analyse(np.concatenate([first, second, third]))
    assert len(result.section_times) == 2
    assert result.section_times[0] == pytest.approx(10.0, abs=1.0)
    assert result.section_times[1] == pytest.approx(20.0, abs=1.0)
    assert max(result.novelty_curve) > 0.5


def test_results_are_deterministic_and_independent_of_block_size():
    clip = music(12, sr=SR, bpm=120, seed=4)
    first = analyse(clip, size=4096)
    assert analyse(clip, size=4096) == first
    other = analyse(clip, size=30000)
    assert other.loudness_lufs == pytest.approx(first.loudness_lufs, abs=1e-3)
    assert other.true_peak_dbtp == pytest.approx(first.true_peak_dbtp, abs=1e-3)
    assert other.tempo_bpm == pytest.approx(first.tempo_bpm, rel=0.01)
    assert (other.key, other.mode) == (first.key, first.mode)


def test_higher_sample_rates_are_resampled_and_mono_blocks_work():
    stereo = music(10, sr=44100, bpm=120, key_root_hz=220.0)
    result = analyse(stereo, sr=44100, size=65536)
    assert result.tempo_bpm == pytest.approx(120, rel=0.03)
    assert (result.key, result.mode) == ("A", "minor")
    mono = stereo[:, 0]
    one_d = analyze_stream((mono[i:i + 10000] for i in range(0, len(mono), 10000)), 44100, 1)
    assert one_d.loudness_lufs == pytest.approx(result.loudness_lufs - 3.01, abs=0.05)
    assert one_d.channels == 1


def test_silence_gives_a_sensible_result():
    result = analyse(np.zeros((SR * 10, 2), np.float32))
    assert result.duration == pytest.approx(10.0)
    assert result.loudness_lufs == -math.inf and result.true_peak_dbtp == -math.inf
    assert (result.tempo_bpm, result.energy, result.onset_density) == (0.0, 0.0, 0.0)
    assert result.energy_curve == () and result.novelty_curve == () and result.beat_times == ()
    assert result.section_times == () and result.key_confidence == 0.0


def test_very_short_and_empty_input_do_not_raise():
    short = analyse(music(0.2, sr=SR))
    assert short.duration == pytest.approx(0.2)
    assert short.tempo_bpm == 0.0 and short.loudness_lufs == -math.inf
    assert math.isfinite(short.true_peak_dbtp) and short.energy > 0
    assert short.energy_curve == ()
    empty = analyze_stream(iter(()), SR, 2)
    assert empty.duration == 0.0 and empty.true_peak_dbtp == -math.inf


def test_non_finite_samples_do_not_leak_into_the_figures():
    clip = music(6, sr=SR, seed=5)
    clip[1000:1010] = np.nan
    clip[2000] = np.inf
    result = analyse(clip)
    numbers = [v for v in result.to_dict().values() if isinstance(v, float)]
    assert all(math.isfinite(v) for v in numbers)
    assert all(math.isfinite(v) for v in result.energy_curve + result.novelty_curve)


def test_wrong_block_shape_is_refused():
    with pytest.raises(ValueError):
        analyze_stream([np.zeros((100, 3), np.float32)], SR, 2)
    with pytest.raises(ValueError):
        analyze_stream([], 0, 2)


def test_cancel_before_and_during_analysis():
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        analyse(music(5, sr=SR), cancel=cancel)

    cancel = threading.Event()
    seen: list[tuple[float, str]] = []

    def progress(fraction: float, words: str) -> None:
        seen.append((fraction, words))
        if fraction > 0.65:  # past reading: inside the librosa stages
            cancel.set()

    with pytest.raises(CancelledError):
        analyse(music(12, sr=SR), progress=progress, cancel=cancel)
    assert seen[-1][0] < 1.0


def test_progress_rises_to_one_with_stage_words():
    seen: list[tuple[float, str]] = []
    clip = music(6, sr=SR)
    analyse(clip, progress=lambda f, w: seen.append((f, w)), total_frames=len(clip))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(words for _, words in seen) and len({w for _, w in seen}) >= 4


def test_round_trip_through_json():
    for result in (a_minor_120(), analyse(np.zeros((SR, 2), np.float32))):
        again = AnalysisResult.from_dict(json.loads(json.dumps(result.to_dict())))
        assert again == result


def test_analyze_file_uses_and_fills_the_cache(tmp_path, monkeypatch):
    if not HAVE_DECODE:
        pytest.skip("albumstudio.audio.decode (open_audio) is not in the tree yet")
    import albumstudio.audio.decode as decode

    track = write(tmp_path / "beat.wav", music(12, sr=44100, bpm=120), 44100)
    cache = ContentCache(tmp_path / "analysis", ".json")
    key = "ab" * 20
    seen: list[float] = []
    result = analyze_file(str(track), cache=cache, content_hash=key,
                          progress=lambda f, _: seen.append(f))
    assert result.tempo_bpm == pytest.approx(120, rel=0.03)
    assert result.duration == pytest.approx(12.0)
    assert seen[-1] == 1.0 and any(0 < f < 0.6 for f in seen)
    assert cache.get_json(key) is not None

    def no_decoding(path):
        raise AssertionError("the cached analysis should have been used")

    monkeypatch.setattr(decode, "open_audio", no_decoding)
    assert analyze_file(str(track), cache=cache, content_hash=key) == result

    monkeypatch.undo()
    stale = dict(result.to_dict(), version=0)
    cache.put_json(key, stale)
    assert analyze_file(str(track), cache=cache, content_hash=key) == result
    assert cache.get_json(key)["version"] == result.version


def test_analyze_file_reports_a_bad_file_in_words(tmp_path):
    if not HAVE_DECODE:
        pytest.skip("albumstudio.audio.decode (open_audio) is not in the tree yet")
    bad = tmp_path / "not audio.wav"
    bad.write_bytes(b"this is not a wave file at all" * 10)
    with pytest.raises(InputError):
        analyze_file(str(bad))


def test_a_cached_analysis_of_the_wrong_shape_is_recomputed_and_replaced(tmp_path):
    """Valid JSON with a wrong type ("tempo_bpm": "fast") used to fail every run (#11)."""
    import json

    from albumstudio.audio.analysis import analyze_file
    from albumstudio.store.cache import ContentCache
    from albumstudio.store.files import hash_file

    track = write(tmp_path / "t.wav", music(6.0, sr=22050, bpm=120), 22050)
    cache = ContentCache(tmp_path / "analysis", ".json")
    key = hash_file(str(track))
    first = analyze_file(str(track), cache=cache, content_hash=key)
    entry = cache.get_json(key)
    entry["tempo_bpm"] = "fast"
    cache.put_json(key, entry)
    again = analyze_file(str(track), cache=cache, content_hash=key)
    assert again == first
    assert json.loads(cache.path_for(key).read_bytes())["tempo_bpm"] == first.tempo_bpm
