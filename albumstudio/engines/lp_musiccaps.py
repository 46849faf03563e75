"""LP-MusicCaps (Doh, Choi, Lee and Nam, ISMIR 2023): a caption for every 10 seconds of music.

A port of the authors' ``lpmc/music_captioning/model`` (``BartCaptionModel`` and its
``AudioEncoder``, the authors' GitHub repository lp-music-caps) in plain PyTorch: a log-mel frontend
(torchaudio's Spectrogram, MelScale and AmplitudeToDB, written out here with the same ops), one
convolution and five strided convolutions, sinusoidal positions, then the BART encoder and
decoder of ``transformers``' ``BartForConditionalGeneration``. Parameter and buffer names are the
authors' (``audio_encoder.conv1.weight``, ``audio_encoder.mel_encoder.mel_scale.fb``,
``bart.model.encoder...``), so their checkpoint's state dict loads as it is, once converted to
safetensors (:mod:`albumstudio.engines.lp_musiccaps_weights`).

The authors caption 16 kHz mono audio in whole 10 s segments (a shorter track is padded to
one; the remainder past the last whole segment is dropped), with beam search: 5 beams, at most
128 tokens, at least 2, and the defaults of BART base's hub config that transformers
4.26 (their pinned version) applied in ``generate``: no repeated 3-grams, early stopping,
``<s>`` forced first and ``</s>`` forced last. Those defaults are written out in
:data:`GENERATION` because newer transformers no longer read them from a model config.
torch and transformers are imported inside functions only.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from albumstudio.core.errors import CancelledError

SAMPLE_RATE = 16_000
SEGMENT_S = 10
SEGMENT_SAMPLES = SAMPLE_RATE * SEGMENT_S
N_FFT = 1024
HOP_LENGTH = int(0.01 * SAMPLE_RATE)
N_MELS = 128
F_MAX = 8000.0
NUM_CONV = 6
AUDIO_DIM = 768
N_CTX = (SEGMENT_SAMPLES // HOP_LENGTH) // 2 ** (NUM_CONV - 1) + 1

# BART base's config.json on the hub: the hyper-parameters BartCaptionModel builds BART from
BART_BASE = {
    "vocab_size": 50265, "d_model": 768, "max_position_embeddings": 1024,
    "encoder_layers": 6, "decoder_layers": 6, "encoder_attention_heads": 12,
    "decoder_attention_heads": 12, "encoder_ffn_dim": 3072, "decoder_ffn_dim": 3072,
    "activation_function": "gelu", "dropout": 0.1, "attention_dropout": 0.1,
    "activation_dropout": 0.1, "init_std": 0.02, "scale_embedding": False,
    "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2,
    "forced_eos_token_id": 2,
}
# the authors' generate(): num_beams=5, max_length=128, min_length=2, repetition_penalty=1.0,
# and bart-base's generation defaults as transformers 4.26 applied them
GENERATION = {
    "num_beams": 5, "max_length": 128, "min_length": 2, "repetition_penalty": 1.0,
    "no_repeat_ngram_size": 3, "early_stopping": True, "length_penalty": 1.0,
    "forced_bos_token_id": 0, "forced_eos_token_id": 2,
    "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "decoder_start_token_id": 2,
}

ProgressCallback = Callable[[int, int], None]  # (segments done, segments in all)


def bart_config(overrides: dict[str, Any] | None = None) -> Any:
    """The BART configuration of the captioning model (bart-base unless ``overrides`` say)."""
    from transformers import BartConfig

    return BartConfig(**{**BART_BASE, **(overrides or {})})


def generation_config(config: Any, **changes: Any) -> Any:
    """The authors' decoding settings for a BART of ``config`` (token ids taken from it)."""
    from transformers import GenerationConfig

    ids = {"bos_token_id": config.bos_token_id, "eos_token_id": config.eos_token_id,
           "pad_token_id": config.pad_token_id, "forced_eos_token_id": config.eos_token_id,
           "forced_bos_token_id": config.bos_token_id,
           "decoder_start_token_id": config.decoder_start_token_id}
    return GenerationConfig(**{**GENERATION, **ids, **changes})  # type: ignore[no-untyped-call]


def segments_of(samples: np.ndarray) -> np.ndarray:
    """The authors' 10 s segments of 16 kHz mono ``samples``: (n, 160000) float32."""
    audio = np.asarray(samples, dtype=np.float32).reshape(-1)
    if audio.shape[0] < SEGMENT_SAMPLES:
        audio = np.pad(audio, (0, SEGMENT_SAMPLES - audio.shape[0]))
    count = audio.shape[0] // SEGMENT_SAMPLES
    return np.ascontiguousarray(audio[:count * SEGMENT_SAMPLES].reshape(count, SEGMENT_SAMPLES))


def _hz_to_mel(freq: float) -> float:
    return 2595.0 * math.log10(1.0 + freq / 700.0)


def mel_filterbank(n_freqs: int = N_FFT // 2 + 1, f_min: float = 0.0, f_max: float = F_MAX,
                   n_mels: int = N_MELS, sample_rate: int = SAMPLE_RATE) -> Any:
    """torchaudio's HTK triangular mel filterbank without normalisation: (n_freqs, n_mels)."""
    import torch

    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_pts = torch.linspace(_hz_to_mel(f_min), _hz_to_mel(f_max), n_mels + 2)
    f_pts = 700.0 * (10.0 ** (m_pts / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = (-1.0 * slopes[:, :-2]) / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.max(torch.zeros(1), torch.min(down, up))


def sinusoids(length: int, channels: int, max_timescale: float = 10000) -> Any:
    """Whisper's sinusoidal positions, as the authors' AudioEncoder registers them."""
    import torch

    increment = np.log(max_timescale) / (channels // 2 - 1)
    inv_timescales = torch.exp(-increment * torch.arange(channels // 2))
    scaled = torch.arange(length)[:, np.newaxis] * inv_timescales[np.newaxis, :]
    return torch.cat([torch.sin(scaled), torch.cos(scaled)], dim=1)


def build_model(config: Any = None) -> Any:
    """The captioning model (random weights) with the authors' module and parameter names."""
    import torch
    import torch.nn.functional as F
    from torch import nn
    from transformers import BartForConditionalGeneration

    class Spectrogram(nn.Module):
        window: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("window", torch.hann_window(N_FFT))

        def forward(self, wav: torch.Tensor) -> torch.Tensor:
            shape = wav.size()
            flat = wav.reshape(-1, shape[-1])
            spec = torch.stft(flat, n_fft=N_FFT, hop_length=HOP_LENGTH, win_length=N_FFT,
                              window=self.window, center=True, pad_mode="reflect",
                              normalized=False, onesided=True, return_complex=True)
            return spec.reshape(shape[:-1] + spec.shape[-2:])

    class MelScale(nn.Module):
        fb: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("fb", mel_filterbank())

        def forward(self, spec: torch.Tensor) -> torch.Tensor:
            return torch.matmul(spec.transpose(-1, -2), self.fb).transpose(-1, -2)

    class MelEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.spec_fn = Spectrogram()
            self.mel_scale = MelScale()

        def forward(self, wav: torch.Tensor) -> torch.Tensor:
            power = self.spec_fn(wav).real.abs().pow(2)
            return 10.0 * torch.log10(torch.clamp(self.mel_scale(power), min=1e-10))

    class AudioEncoder(nn.Module):
        positional_embedding: torch.Tensor

        def __init__(self, text_dim: int) -> None:
            super().__init__()
            self.mel_encoder = MelEncoder()
            self.conv1 = nn.Conv1d(N_MELS, AUDIO_DIM, kernel_size=3, padding=1)
            self.conv_stack = nn.ModuleList(
                nn.Conv1d(AUDIO_DIM, AUDIO_DIM, kernel_size=3, stride=2, padding=1)
                for _ in range(NUM_CONV - 1))
            self.register_buffer("positional_embedding", sinusoids(N_CTX, text_dim))

        def forward(self, wav: torch.Tensor) -> torch.Tensor:
            x = F.gelu(self.conv1(self.mel_encoder(wav)))
            for conv in self.conv_stack:
                x = F.gelu(conv(x))
            x = x.permute(0, 2, 1)
            return (x + self.positional_embedding).to(x.dtype)

    class BartCaptionModel(nn.Module):
        def __init__(self, bart_cfg: Any) -> None:
            super().__init__()
            self.bart = BartForConditionalGeneration(bart_cfg)
            self.audio_encoder = AudioEncoder(bart_cfg.d_model)

        def encode(self, wav: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """(BART encoder's last hidden state, audio embeddings) of 10 s segments."""
            audio_embs = self.audio_encoder(wav)
            hidden = self.bart.model.encoder(input_ids=None, inputs_embeds=audio_embs,
                                             return_dict=True)["last_hidden_state"]
            return hidden, audio_embs

        def generate_ids(self, wav: torch.Tensor, settings: Any) -> torch.Tensor:
            from transformers.modeling_outputs import BaseModelOutput

            hidden, _ = self.encode(wav)
            start_id = self.bart.config.decoder_start_token_id
            start = torch.full((hidden.size(0), 1), int(start_id or 0), dtype=torch.long,
                               device=hidden.device)
            ids: torch.Tensor = self.bart.generate(
                encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
                decoder_input_ids=start, decoder_attention_mask=torch.ones_like(start),
                generation_config=settings)
            return ids

    import transformers.initialization as init

    with init.no_init_weights():  # the weights are loaded (or filled) right after
        model = BartCaptionModel(config if config is not None else bart_config())
    model.bart.tie_weights()
    return model


@dataclass(frozen=True)
class SegmentCaption:
    start_s: float
    end_s: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "text": self.text}


def tidy(text: str) -> str:
    return " ".join(text.split())


class MusicCaptioner:
    """The captioning model on one device with its tokenizer, captioning segments in batches."""

    def __init__(self, model: Any, tokenizer: Any, device: str = "cpu",
                 dtype: Any = None) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = device
        self.dtype = dtype
        self._lock = threading.Lock()

    def unload(self) -> None:
        """Drop the model (and free its GPU memory)."""
        from albumstudio.engines.device import free_device_memory

        with self._lock:
            self.model = None
        free_device_memory()

    def caption_ids(self, segments: np.ndarray, settings: Any) -> list[list[int]]:
        """Token ids of each segment's caption (``settings``: a GenerationConfig)."""
        import torch

        wav = torch.from_numpy(np.ascontiguousarray(segments, dtype=np.float32)).to(self.device)
        with self._lock, torch.inference_mode():
            ids = self.model.generate_ids(wav, settings)
        return [list(map(int, row)) for row in ids.cpu()]

    def caption(self, samples_16k: np.ndarray, *, seed: int = 0, batch: int = 1,
                settings: Any = None, progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None) -> list[SegmentCaption]:
        """One caption per 10 s segment of 16 kHz mono audio; ``cancel`` is checked between
        batches of ``batch`` segments, ``progress(done, total)`` called after each batch."""
        import torch

        segments = segments_of(samples_16k)
        settings = settings or generation_config(self.model.bart.config)
        total = segments.shape[0]
        captions: list[SegmentCaption] = []
        torch.manual_seed(seed)
        for first in range(0, total, max(1, batch)):
            if cancel is not None and cancel.is_set():
                raise CancelledError()
            chunk = segments[first:first + max(1, batch)]
            texts = self.tokenizer.batch_decode(self.caption_ids(chunk, settings),
                                                skip_special_tokens=True)
            for offset, text in enumerate(texts):
                index = first + offset
                captions.append(SegmentCaption(float(index * SEGMENT_S),
                                               float((index + 1) * SEGMENT_S), tidy(text)))
            if progress is not None:
                progress(len(captions), total)
        return captions


def load_state(model: Any, state: dict[str, Any]) -> None:
    """Load the authors' state dict (tied embeddings may be absent, never anything else)."""
    from albumstudio.engines.lp_musiccaps_weights import check_keys

    own = dict(model.state_dict())
    check_keys(set(own), set(state))
    model.load_state_dict({k: v for k, v in state.items() if k in own}, strict=False)
    model.bart.tie_weights()


def captioner_from(weights: str, tokenizer: Any, device: str = "cpu",
                   config_overrides: dict[str, Any] | None = None) -> MusicCaptioner:
    """A captioner from a converted ``.safetensors`` file (never a pickle); its BART's size
    is the one recorded in the file unless ``config_overrides`` say."""
    from safetensors.torch import load_file

    from albumstudio.engines.lp_musiccaps_weights import bart_overrides

    overrides = config_overrides if config_overrides is not None else bart_overrides(weights)
    model = build_model(bart_config(overrides))
    load_state(model, load_file(weights))
    return MusicCaptioner(model.to(device), tokenizer, device)


def batch_for(device: str) -> int:
    """Segments per generate call: all of a track's minute on a GPU, one at a time on CPU."""
    return 8 if device.startswith("cuda") else 1


def texts(captions: Sequence[SegmentCaption]) -> list[str]:
    return [c.text for c in captions]
