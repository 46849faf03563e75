"""MusicGen through the app's loading code, on a tiny random-weight model (#16)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from albumstudio.core.errors import CancelledError, InputError, ModelMissingError
from albumstudio.core.music_attributes import MusicRequest
from albumstudio.engines.musicgen import MusicGenerator, normalise, tokens_for
from tests.support.tiny_musicgen import build_tiny_musicgen, pickle_only_copy

PROMPT = "A calm ambient instrumental track in E minor at 72 BPM, featuring piano."


@pytest.fixture(scope="module")
def tiny_musicgen(tmp_path_factory) -> str:
    return str(build_tiny_musicgen(tmp_path_factory.mktemp("tiny-musicgen")))


@pytest.fixture(scope="module")
def generator(tiny_musicgen):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    made = MusicGenerator(tiny_musicgen, "cpu", progress_interval_s=0.0)  # every step
    yield made
    made.unload()
    torch.set_num_threads(threads)


def _direct(generator: MusicGenerator, request: MusicRequest) -> np.ndarray:
    """What a plain transformers user gets from the same model, seed and settings."""
    import torch

    model, processor = generator.load()
    with torch.inference_mode():
        torch.manual_seed(request.seed)
        inputs = processor(text=[request.prompt], padding=True, return_tensors="pt")
        out = model.generate(**inputs, do_sample=True, guidance_scale=request.guidance,
                             top_k=request.top_k, temperature=request.temperature,
                             max_new_tokens=tokens_for(request.seconds, 50, 4))
    return out[0].numpy().T


def test_app_audio_is_sample_identical_to_a_direct_generate_call(generator):
    request = MusicRequest(PROMPT, seconds=1.5, seed=7, guidance=3.0, top_k=50)
    made = generator.generate(request)
    direct = _direct(generator, request)
    assert made.raw.shape == (48000, 1) and made.sample_rate == 32000
    assert np.array_equal(made.raw, direct[:48000])
    again = generator.generate(request)
    assert np.array_equal(again.raw, made.raw)
    other = generator.generate(MusicRequest(PROMPT, seconds=1.5, seed=8, guidance=3.0, top_k=50))
    assert not np.array_equal(other.raw, made.raw)
    # the normalised clip is the same audio, only louder or quieter
    ratio = made.samples[np.abs(made.raw) > 1e-4] / made.raw[np.abs(made.raw) > 1e-4]
    assert np.allclose(ratio, 10 ** (made.gain_db / 20), rtol=1e-4)


def test_progress_every_step_and_cancel_within_one_step(generator):
    model, _ = generator.load()
    reports: list[object] = []
    request = MusicRequest(PROMPT, seconds=1.0, seed=1, top_k=50)
    generator.generate(request, progress=reports.append)
    total = tokens_for(1.0, 50, 4)
    assert len(reports) == total
    assert [r.step for r in reports] == list(range(1, total + 1))  # type: ignore[attr-defined]
    assert reports[-1].fraction == 1.0  # type: ignore[attr-defined]

    cancel = threading.Event()
    calls_after_cancel = []
    hook = model.decoder.register_forward_hook(
        lambda *_: calls_after_cancel.append(1) if cancel.is_set() else None)

    def stop_at_five(report: object) -> None:
        if report.step == 5:  # type: ignore[attr-defined]
            cancel.set()

    try:
        with pytest.raises(CancelledError):
            generator.generate(request, progress=stop_at_five, cancel=cancel)
    finally:
        hook.remove()
    assert len(calls_after_cancel) <= 1
    assert generator.generate(request).raw.shape[0] == 32000  # the model still works after


def test_progress_is_throttled_by_time_not_read_from_tensors(tiny_musicgen, generator):
    """The app's default reports at most every PROGRESS_INTERVAL_S (and always the last step);
    the step watch hands generate() one 'not done' tensor, made once."""
    quiet = MusicGenerator(tiny_musicgen, "cpu", progress_interval_s=3600.0)
    quiet._model, quiet._processor = generator.load()
    reports: list[object] = []
    quiet.generate(MusicRequest(PROMPT, seconds=1.0, seed=1, top_k=50), progress=reports.append)
    total = tokens_for(1.0, 50, 4)
    assert [r.step for r in reports] == [1, total]  # type: ignore[attr-defined]
    assert reports[-1].fraction == 1.0  # type: ignore[attr-defined]

    import torch

    from albumstudio.engines.musicgen import _step_watch

    watch = _step_watch(None, lambda: None)
    ids = torch.zeros((2, 3), dtype=torch.long)
    first, second = watch(ids, None), watch(ids, None)
    assert first is second and not bool(first.any()) and first.shape == (2,)
    assert watch(torch.zeros((4, 3), dtype=torch.long), None).shape == (4,)


def test_longer_clips_continue_from_the_last_window(tiny_musicgen, generator):
    short_windows = MusicGenerator(tiny_musicgen, "cpu", window_s=2.0, context_s=1.0,
                                   progress_interval_s=0.0)
    short_windows._model, short_windows._processor = generator.load()  # the same weights
    reports: list[object] = []
    made = short_windows.generate(MusicRequest(PROMPT, seconds=3.5, seed=2, top_k=50),
                                  progress=reports.append)
    first_window = short_windows.generate(MusicRequest(PROMPT, seconds=2.0, seed=2, top_k=50))
    # 2 s, then 1 s of context + 1 s new, then 1 s of context + 0.5 s new
    assert made.windows == 3 and made.raw.shape == (int(3.5 * 32000), 1)
    assert np.array_equal(made.raw[:2 * 32000], first_window.raw)
    assert np.abs(made.raw[2 * 32000:]).max() > 0  # the continuation is sound, not padding
    assert "window 3 of 3" in reports[-1].text  # type: ignore[attr-defined]
    assert len(reports) == made.steps


def test_clips_are_loudness_normalised():
    from albumstudio.audio.loudness import LoudnessMeter, TruePeakMeter

    rng = np.random.default_rng(0)
    quiet = (0.01 * rng.standard_normal((32000 * 3, 1))).astype(np.float32)
    scaled, gain, lufs, peak = normalise(quiet, 32000)
    meter, peaks = LoudnessMeter(32000, 1), TruePeakMeter(32000, 1)
    meter.add(scaled)
    peaks.add(scaled)
    assert gain > 0 and peaks.dbtp() <= -1.0 + 1e-6 and abs(peaks.dbtp() - peak) < 1e-3
    assert meter.integrated_lufs() <= -14.0 + 0.5 and abs(meter.integrated_lufs() - lufs) < 1e-3
    tone = (0.05 * np.sin(np.arange(32000 * 3) * 2 * np.pi * 220 / 32000)).astype(np.float32)
    _, _, lufs, peak = normalise(tone[:, None], 32000)
    assert abs(lufs + 14.0) < 0.5 and peak <= -1.0


def test_pickle_only_folder_and_missing_model_are_one_sentence(tiny_musicgen, tmp_path):
    unsafe = pickle_only_copy(tiny_musicgen, tmp_path / "unsafe")
    with pytest.raises(ModelMissingError) as caught:
        MusicGenerator(str(unsafe), "cpu").generate(MusicRequest(PROMPT, seconds=1.0))
    message = str(caught.value)
    assert "pickle" in message and "safetensors" in message and "\n" not in message
    with pytest.raises(ModelMissingError, match="is not installed"):
        MusicGenerator(str(tmp_path / "nowhere"), "cpu").generate(MusicRequest(PROMPT))


@pytest.mark.parametrize(("change", "words"), [
    ({"seconds": 0.2}, "1 to 120 seconds"), ({"guidance": 0.0}, "guidance"),
    ({"prompt": "  "}, "prompt is empty"), ({"device": "tpu"}, "Unknown device"),
])
def test_bad_requests_are_one_sentence_before_loading(change, words):
    generator = MusicGenerator("no/such-model", "cpu")
    with pytest.raises(InputError, match=words):
        generator.generate(MusicRequest(**{"prompt": PROMPT, **change}))
    assert not generator.is_loaded


@pytest.fixture(scope="module")
def melody_model(tmp_path_factory) -> str:
    from tests.support.tiny_musicgen import build_tiny_musicgen_melody

    return str(build_tiny_musicgen_melody(tmp_path_factory.mktemp("tiny-musicgen-melody")))


def _tone(path, hz: float) -> str:
    import soundfile

    t = np.arange(32000 * 3) / 32000
    soundfile.write(path, (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), 32000)
    return str(path)


def test_melody_model_follows_the_tracks_melody(melody_model, generator, tmp_path):
    import torch

    from albumstudio.engines.musicgen import melody_chroma

    a440, e330 = _tone(tmp_path / "a.wav", 440.0), _tone(tmp_path / "e.wav", 329.63)
    assert set(melody_chroma(a440).argmax(axis=1)) == {9}  # A (C is 0)
    assert set(melody_chroma(e330).argmax(axis=1)) == {4}  # E
    melodic = MusicGenerator(melody_model, "cpu")
    request = MusicRequest(PROMPT, seconds=1.0, seed=3, top_k=50, melody_path=a440)
    made = melodic.generate(request)
    model, tokenizer = melodic.load()
    with torch.inference_mode():  # what a transformers user writes, with the same chroma
        torch.manual_seed(3)
        inputs = tokenizer([PROMPT], padding=True, return_tensors="pt")
        chroma = torch.from_numpy(melody_chroma(a440, seconds=1.0))[None]
        direct = model.generate(**inputs, input_features=chroma, do_sample=True,
                                guidance_scale=3.0, top_k=50, max_new_tokens=tokens_for(1, 50, 4))
    assert np.array_equal(made.raw, direct[0].numpy().T[:32000])
    other = melodic.generate(MusicRequest(PROMPT, seconds=1.0, seed=3, top_k=50, melody_path=e330))
    assert not np.array_equal(other.raw, made.raw)  # another melody, other music
    with pytest.raises(InputError, match="at most 30 seconds"):
        melodic.generate(MusicRequest(PROMPT, seconds=40.0, melody_path=a440))
    with pytest.raises(InputError, match="needs MusicGen melody"):
        generator.generate(MusicRequest(PROMPT, seconds=1.0, melody_path=a440))
    with pytest.raises(InputError):
        melodic.generate(MusicRequest(PROMPT, seconds=1.0, melody_path=str(tmp_path / "no.wav")))
    melodic.unload()


def test_stereo_models_give_two_channels_in_every_window(tmp_path, generator):  # 1 thread
    stereo = str(build_tiny_musicgen(tmp_path / "stereo", stereo=True))
    generator = MusicGenerator(stereo, "cpu", window_s=2.0, context_s=1.0)
    made = generator.generate(MusicRequest(PROMPT, seconds=3.0, seed=1, top_k=50))
    assert made.raw.shape == (96000, 2) and made.windows == 2
    assert not np.array_equal(made.raw[:, 0], made.raw[:, 1])
    generator.unload()
