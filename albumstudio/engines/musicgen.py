"""MusicGen through transformers: a text prompt (and a seed) in, loudness-normalised audio out.

The model and its processor load through :func:`albumstudio.engines.models.load_pretrained`
(local files only, safetensors only, failures in one sentence) and stay in the app's model
cache. A clip longer than one window (30 s) continues window by window, each prompted with the
last ``CONTEXT_S`` seconds of audio so far, as MusicGen's authors extend theirs. A stopping
criterion sees every generated token: it reports progress and stops within one step of a
cancel. A MusicGen melody model follows a track's melody (its chroma, :func:`melody_chroma`)
for clips of one window. torch and transformers are imported inside functions, never at module
import.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.jobs import ProgressFn, steps_progress
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.music_attributes import MELODY_MAX_SECONDS, MusicRequest, check_request
from albumstudio.engines.device import choose_device, free_device_memory
from albumstudio.engines.models import cached_folder, load_pretrained

WHAT = "MusicGen"
WINDOW_S = 30.0  # MusicGen was trained on 30 s windows
CONTEXT_S = 10.0  # how much of the audio so far prompts the next window
TARGET_LUFS = -14.0
PEAK_CEILING_DBTP = -1.0
PROGRESS_INTERVAL_S = 0.1  # progress reports at most ten times a second (and at the end)


@dataclass(frozen=True)
class GeneratedMusic:
    """The model's audio (``raw``, exactly as decoded, (frames, channels) float32), the same
    audio loudness-normalised (``samples``) and what was measured doing it."""

    raw: np.ndarray
    samples: np.ndarray
    sample_rate: int
    windows: int
    steps: int
    device: str
    gain_db: float
    loudness_lufs: float  # of ``samples``
    true_peak_dbtp: float  # of ``samples``

    @property
    def duration_s(self) -> float:
        return float(self.raw.shape[0] / self.sample_rate)


def tokens_for(seconds: float, frame_rate: int, num_codebooks: int) -> int:
    """Decoder steps that give at least ``seconds`` of audio: one step per frame plus the
    delay pattern's ``num_codebooks - 1`` steps."""
    return int(math.ceil(seconds * frame_rate)) + num_codebooks - 1


def model_type(model: str) -> str:
    """The ``model_type`` in the model folder's config.json ("musicgen", "musicgen_melody"),
    or "" when it cannot be read."""
    folder = cached_folder(model)
    config = folder / "config.json" if folder is not None else None
    if config is None or not config.is_file():
        return ""
    try:
        return str(json.loads(config.read_text(encoding="utf-8")).get("model_type") or "")
    except (OSError, ValueError, AttributeError, RecursionError):
        return ""


class _Stop(Exception):
    """Raised inside generate() when the cancel flag is seen."""


def _step_watch(cancel: threading.Event | None, report: Any) -> Any:
    """A StoppingCriteria that stops within one step of a cancel and reports every step.

    It reads only Python state (the cancel flag, a step count): no tensor is read back to the
    host, and its "not done" answer is one tensor made once per batch shape and device, so a
    step costs the GPU nothing that a bare ``generate`` does not do."""
    import torch
    from transformers import StoppingCriteria

    class StepWatch(StoppingCriteria):
        def __init__(self) -> None:
            self._never: Any = None

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            if cancel is not None and cancel.is_set():
                raise _Stop
            report()
            never = self._never
            if never is None or never.shape[0] != input_ids.shape[0] \
                    or never.device != input_ids.device:
                never = self._never = torch.zeros(input_ids.shape[0], dtype=torch.bool,
                                                  device=input_ids.device)
            return never

    return StepWatch()


def measure_levels(samples: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP) of a whole (frames, channels) clip: the
    figures of :mod:`albumstudio.audio.loudness`'s meters (same K-weighting, gating and 4×
    interpolation filter), computed in one pass with scipy's filters."""
    from scipy.signal import sosfilt

    from albumstudio.audio import loudness

    data = np.asarray(samples, dtype=np.float64)
    energy = np.square(sosfilt(loudness.k_weighting_sos(sample_rate), data, axis=0)) \
        @ loudness.channel_weights(data.shape[1])
    step = max(1, round(sample_rate / 10))
    whole = energy.size // step
    steps = energy[:whole * step].reshape(whole, step).sum(axis=1)
    lufs = -math.inf
    if steps.size >= 4:
        powers = (steps[:-3] + steps[1:-2] + steps[2:-1] + steps[3:]) / (4 * step)
        powers = powers[powers > 10.0 ** ((loudness.ABSOLUTE_GATE_LUFS + 0.691) / 10.0)]
        if powers.size:
            relative = float(powers.mean()) * 10.0 ** (loudness.RELATIVE_GATE_LU / 10.0)
            gated = powers[powers > relative]
            lufs = -0.691 + 10.0 * math.log10(float(gated.mean()))
    phases = loudness._interpolation_phases(loudness.OVERSAMPLING, loudness.TAPS_PER_PHASE)
    pad = np.zeros(loudness.TAPS_PER_PHASE, dtype=np.float32)
    peak = float(np.abs(samples).max(initial=0.0))
    for lane in np.asarray(samples, dtype=np.float32).T:
        padded = np.concatenate([pad, lane, pad])
        for phase in phases.astype(np.float32):
            between = np.correlate(padded, phase, "valid")
            if between.size:
                peak = max(peak, float(np.abs(between).max()))
    return lufs, (20.0 * math.log10(peak) if peak > 0 else -math.inf)


def normalise(samples: np.ndarray, sample_rate: int, target_lufs: float = TARGET_LUFS,
              ceiling_dbtp: float = PEAK_CEILING_DBTP) -> tuple[np.ndarray, float, float, float]:
    """``samples`` scaled to ``target_lufs`` integrated (less, if the true peak would pass
    ``ceiling_dbtp``); (scaled, gain dB, loudness LUFS, true peak dBTP) after scaling. Silence
    and clips under 400 ms are only held under the ceiling."""
    lufs, peak = measure_levels(samples, sample_rate)
    if not math.isfinite(peak):
        return samples.copy(), 0.0, lufs, peak
    gain = target_lufs - lufs if math.isfinite(lufs) else 0.0
    gain = min(gain, ceiling_dbtp - peak)
    scaled = (samples * np.float32(10.0 ** (gain / 20.0))).astype(np.float32)
    return scaled, gain, lufs + gain, peak + gain


MELODY_RATE = 32000
MELODY_FFT = 16384
MELODY_HOP = 4096


def melody_chroma(path: str, num_chroma: int = 12, seconds: float = MELODY_MAX_SECONDS,
                  cancel: threading.Event | None = None) -> np.ndarray:
    """The melody MusicGen melody follows: the strongest pitch class of each 4096-sample frame
    of the track's first ``seconds`` (mono, 32 kHz), one-hot, (frames, num_chroma) float32 —
    the chroma transformers' MusicGen melody extractor makes (its STFT and filter bank), computed
    here without torchaudio. InputError in one sentence for a file that is not a track."""
    import torch
    from transformers.audio_utils import chroma_filter_bank

    from albumstudio.audio.decode import decode_all

    samples, _rate = decode_all(path, target_sr=MELODY_RATE, mono=True, cancel=cancel)
    wave = torch.from_numpy(np.ascontiguousarray(samples[:int(seconds * MELODY_RATE)],
                                                 dtype=np.float32))
    if wave.numel() < MELODY_FFT:
        pad = MELODY_FFT - wave.numel()
        wave = torch.nn.functional.pad(wave, (pad // 2, pad - pad // 2))
    spectrum = torch.stft(wave, MELODY_FFT, MELODY_HOP, window=torch.hann_window(MELODY_FFT),
                          center=True, pad_mode="reflect", return_complex=True).abs() ** 2
    filters = torch.from_numpy(chroma_filter_bank(
        sampling_rate=MELODY_RATE, num_frequency_bins=MELODY_FFT, tuning=0,
        num_chroma=num_chroma)).float()
    strongest = (filters @ spectrum).argmax(dim=0)
    one_hot: np.ndarray = np.eye(num_chroma, dtype=np.float32)[strongest.numpy()]
    return one_hot


class MusicGenerator:
    """One MusicGen model on one device, loaded on first use and kept until :meth:`unload`."""

    def __init__(self, model: str, device: str = "auto", window_s: float = WINDOW_S,
                 context_s: float = CONTEXT_S,
                 progress_interval_s: float = PROGRESS_INTERVAL_S) -> None:
        self.model_id = model
        self.device = device
        self.window_s, self.context_s = window_s, context_s
        self.progress_interval_s = progress_interval_s
        self._lock = threading.Lock()
        self._model: Any = None
        self._processor: Any = None
        self._device_name = "cpu"

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    def unload(self) -> None:
        """Drop the model (and free its GPU memory); the next clip loads it again."""
        with self._lock:
            self._model = None
            self._processor = None
        free_device_memory()

    def load(self) -> tuple[Any, Any]:
        """The model and its processor (for MusicGen melody: its tokenizer), loaded once."""
        if self._model is None:
            choice = choose_device(self.device)
            if model_type(self.model_id) == "musicgen_melody":
                from transformers import AutoTokenizer, MusicgenMelodyForConditionalGeneration

                model_class: Any = MusicgenMelodyForConditionalGeneration
                # its processor's chroma extractor needs torchaudio; the app computes the chroma
                processor = load_pretrained(AutoTokenizer, self.model_id, WHAT,
                                            use_safetensors=None)
            else:
                from transformers import MusicgenForConditionalGeneration, MusicgenProcessor

                model_class = MusicgenForConditionalGeneration
                processor = load_pretrained(MusicgenProcessor, self.model_id, WHAT)
            model = load_pretrained(model_class, self.model_id, WHAT, dtype=choice.torch_dtype())
            self._model = model.to(choice.device).eval()
            self._processor = processor
            self._device_name = choice.device
        return self._model, self._processor

    @property
    def follows_melodies(self) -> bool:
        """True for MusicGen melody (known once loaded, or from the folder's config)."""
        if self._model is not None:
            return bool(getattr(self._model.config, "model_type", "") == "musicgen_melody")
        return model_type(self.model_id) == "musicgen_melody"

    def generate(self, request: MusicRequest, progress: ProgressFn | None = None,
                 cancel: threading.Event | None = None) -> GeneratedMusic:
        """The clip ``request`` asks for (CancelledError within one step of ``cancel``)."""
        check_request(request)
        if cancel is not None and cancel.is_set():
            raise CancelledError("making the music")
        if request.melody_path and not self.follows_melodies:
            from albumstudio.core.model_registry import model_with

            raise InputError("Following a melody needs MusicGen melody "
                             f"({model_with('musicgen', 'melody')}): choose it as the model, or "
                             "leave the melody out.")
        if self.follows_melodies and request.seconds > MELODY_MAX_SECONDS:
            raise InputError(f"MusicGen melody makes clips of at most {MELODY_MAX_SECONDS:g} "
                             f"seconds, not {request.seconds:g}.")
        with self._lock:
            model, processor = self.load()
            try:
                raw, windows, steps = self._windows(model, processor, request, progress, cancel)
            except _Stop:
                raise CancelledError("making the music") from None
        sample_rate = int(model.config.audio_encoder.sampling_rate)
        samples, gain, lufs, peak = normalise(raw, sample_rate)
        return GeneratedMusic(raw, samples, sample_rate, windows, steps, self._device_name,
                              gain, lufs, peak)

    def _windows(self, model: Any, processor: Any, request: MusicRequest,
                 progress: ProgressFn | None,
                 cancel: threading.Event | None) -> tuple[np.ndarray, int, int]:
        import torch

        audio_config = model.config.audio_encoder
        sample_rate, frame_rate = int(audio_config.sampling_rate), int(audio_config.frame_rate)
        codebooks = int(model.decoder.num_codebooks)
        if model.config.decoder.audio_channels == 2:
            codebooks //= 2
        hop = sample_rate // frame_rate
        wanted = int(round(request.seconds * sample_rate))
        window, context_s = self.window_s, self.context_s
        context_frames = int(context_s * frame_rate)
        plan = [min(request.seconds, window)]
        while sum(plan) - context_s * (len(plan) - 1) < request.seconds:
            so_far = sum(plan) - context_s * (len(plan) - 1)
            plan.append(min(window, context_s + request.seconds - so_far))
        budgets = [tokens_for(s if i == 0 else s - context_s, frame_rate, codebooks)
                   for i, s in enumerate(plan)]
        total, done = sum(budgets), 0
        ends = list(itertools.accumulate(budgets))
        interval, last = self.progress_interval_s, -math.inf

        def report() -> None:
            # a step count and a clock: a report at most every ``interval`` seconds (and at the
            # last step), so a fast GPU does not queue a window repaint per decoder step
            nonlocal done, last
            done += 1
            if progress is None:
                return
            now = time.monotonic()
            if now - last < interval and done < total:
                return
            last = now
            window = bisect.bisect_left(ends, done) if done <= total else len(budgets) - 1
            text = f"window {window + 1} of {len(budgets)}" if len(budgets) > 1 else "music"
            progress(steps_progress(min(done, total), total, f"generating {text}"))

        watch = [_step_watch(cancel, report)]
        device = model.device
        options = {"do_sample": True, "guidance_scale": request.guidance,
                   "top_k": request.top_k, "temperature": request.temperature}
        # generate() takes no torch.Generator: the global seed, as a transformers user sets it
        # (the model queue runs one job at a time; the other engines use their own generators)
        melody = getattr(model.config, "model_type", "") == "musicgen_melody"
        with torch.inference_mode():
            torch.manual_seed(request.seed)
            if melody:
                inputs = dict(processor([request.prompt], padding=True, return_tensors="pt"))
                if request.melody_path:
                    chroma = melody_chroma(request.melody_path, int(model.config.num_chroma),
                                           request.seconds, cancel)
                    inputs["input_features"] = torch.from_numpy(chroma)[None].to(model.dtype)
            else:
                inputs = processor(text=[request.prompt], padding=True, return_tensors="pt")
            out = model.generate(**_on(inputs, device), max_new_tokens=budgets[0],
                                 stopping_criteria=watch, **options)
            audio = _frames(out)
            for budget in budgets[1:]:
                context = audio[-context_frames * hop:]
                inputs = processor(audio=context[:, 0] if context.shape[1] == 1 else context.T,
                                   sampling_rate=sample_rate, text=[request.prompt],
                                   padding=True, return_tensors="pt")
                out = model.generate(**_on(inputs, device, model.dtype), max_new_tokens=budget,
                                     stopping_criteria=watch, **options)
                audio = np.concatenate([audio, _frames(out)[context.shape[0]:]])
        return audio[:wanted], len(budgets), done


def _on(inputs: Any, device: Any, dtype: Any = None) -> dict[str, Any]:
    moved = {}
    for name, value in inputs.items():
        value = value.to(device)
        if dtype is not None and value.is_floating_point():
            value = value.to(dtype)
        moved[name] = value
    return moved


def _frames(out: Any) -> np.ndarray:
    """generate()'s (1, channels, samples) tensor as a (samples, channels) float32 array."""
    return np.ascontiguousarray(out[0].float().cpu().numpy().T, dtype=np.float32)


def shared_generator(models: ModelCache, model: str, device: str = "auto") -> MusicGenerator:
    """The one generator for ``model`` on ``device``, kept by the app's model cache."""
    return models.get("musicgen", model, device, lambda: MusicGenerator(model, device))



class MusicGenEngine:
    """The registered clip engine "musicgen": ``run(request, progress, cancel)`` makes the clip
    with the request's model (the registry's default MusicGen when it names none) on its
    device; the generators live in the model cache, one per model and device."""

    def __init__(self, models: ModelCache) -> None:
        self.models = models

    def generator(self, request: MusicRequest) -> MusicGenerator:
        from albumstudio.core.model_registry import default_model

        return shared_generator(self.models, request.model or default_model("musicgen"),
                                request.device)

    def load(self, request: MusicRequest) -> None:
        """Load the request's model now (the service times loading apart from generating)."""
        self.generator(request).load()

    def run(self, request: MusicRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> GeneratedMusic:
        return self.generator(request).generate(request, progress, cancel)

    def unload(self) -> None:
        """Free every loaded MusicGen model."""
        self.models.evict("musicgen")
