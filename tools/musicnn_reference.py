"""Run the ORIGINAL musicnn (TF1 graph, from the PyPI wheel) on synthesized clips -> fixture.

The clip recipes below are plain numpy and are imported by ``tests/audio/test_musicnn.py``
(by file path) to re-synthesize the same audio; only ``main()`` needs TensorFlow.

Reproduce ``tests/fixtures/musicnn_reference.json`` (never in the app's environment)::

    pip download --no-deps -d /tmp/mn musicnn==0.1.0
    mkdir -p /tmp/mn/src && unzip -o -q /tmp/mn/musicnn-0.1.0-py3-none-any.whl -d /tmp/mn/src
    python3.11 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install "tensorflow-cpu==2.15.*" "librosa==0.11.0" "numpy<2" soundfile
    /tmp/tfenv/bin/python tools/musicnn_reference.py --musicnn-root /tmp/mn/src \\
        --out tests/fixtures/musicnn_reference.json

Full clips go through the package's own ``musicnn.extractor.extractor`` (librosa.load at
sr=16000 of a 16 kHz float wav, so no resampling happens). The original crashes on clips
shorter than 187 frames (``batch_data`` never binds ``batch``); for those, the reference is
the original spectrogram code plus the training pipeline's ``repeat-pad`` (the checkpoints'
config.json says ``"pad_short": "repeat-pad"``), fed to the original graph.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import numpy as np

SR = 16000
N_FRAMES = 187
MODELS = ("MTT_musicnn", "MSD_musicnn")

CLIPS: dict[str, dict[str, float | int | str]] = {
    "beat_chords": {"kind": "beat_chords", "seconds": 10.0, "bpm": 120.0, "root_hz": 220.0,
                    "seed": 1},
    "sine_melody": {"kind": "sine_melody", "seconds": 10.0, "note_s": 0.25, "seed": 2},
    "noise_bursts": {"kind": "noise_bursts", "seconds": 10.0, "burst_s": 0.2, "seed": 3},
    "short_chords": {"kind": "beat_chords", "seconds": 2.0, "bpm": 100.0, "root_hz": 196.0,
                     "seed": 4},
    "loud_chords": {"kind": "beat_chords", "seconds": 4.0, "bpm": 128.0, "root_hz": 110.0,
                    "seed": 5, "gain": 4.0},
}


def _beat_chords(seconds: float, bpm: float, root_hz: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(round(seconds * SR))
    t = np.arange(n) / SR
    chords = ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))
    bar = 4 * 60.0 / bpm
    out = np.zeros(n)
    for k, start in enumerate(np.arange(0.0, seconds, bar)):
        i0, i1 = int(start * SR), min(n, int((start + bar) * SR))
        for semis in chords[k % len(chords)]:
            f = root_hz * 2 ** (semis / 12)
            out[i0:i1] += 0.025 * (np.sin(2 * np.pi * f * t[i0:i1])
                                   + 0.3 * np.sin(2 * np.pi * 2 * f * t[i0:i1]))
    kick_len, hat_len = int(0.15 * SR), int(0.04 * SR)
    kick_t = np.arange(kick_len) / SR
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-kick_t * 30)) * kick_t) * np.exp(-kick_t * 18)
    for j, beat in enumerate(np.arange(0.0, seconds, 60.0 / bpm / 2)):
        i = int(beat * SR)
        if j % 2 == 0:
            seg = min(kick_len, n - i)
            out[i:i + seg] += 0.12 * kick[:seg]
        seg = min(hat_len, n - i)
        out[i:i + seg] += 0.03 * np.exp(-np.linspace(0, 6, seg)) * rng.standard_normal(seg)
    return out


def _sine_melody(seconds: float, note_s: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(round(seconds * SR))
    scale = (0, 2, 4, 5, 7, 9, 11, 12)
    note_n = int(note_s * SR)
    env = np.minimum(1.0, np.minimum(np.arange(note_n), note_n - np.arange(note_n)) / 160.0)
    out = np.zeros(n)
    phase = 0.0
    for i in range(0, n, note_n):
        f = 440.0 * 2 ** (scale[int(rng.integers(len(scale)))] / 12)
        seg = min(note_n, n - i)
        ph = phase + 2 * np.pi * f * np.arange(seg) / SR
        out[i:i + seg] = 0.05 * np.sin(ph) * env[:seg]
        phase = float(ph[-1]) % (2 * np.pi)
    return out


def _noise_bursts(seconds: float, burst_s: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(round(seconds * SR))
    out = 0.002 * rng.standard_normal(n)
    burst_n = int(burst_s * SR)
    env = np.exp(-np.linspace(0, 5, burst_n))
    for start in np.sort(rng.uniform(0, seconds - burst_s, size=int(seconds * 2))):
        i = int(start * SR)
        out[i:i + burst_n] += 0.06 * env * rng.standard_normal(burst_n)
    return out


def synthesize(recipe: dict[str, float | int | str]) -> np.ndarray:
    """The clip for one recipe: 16 kHz mono float32, deterministic for a given numpy."""
    args = {k: v for k, v in recipe.items() if k not in ("kind", "gain")}
    maker = {"beat_chords": _beat_chords, "sine_melody": _sine_melody,
             "noise_bursts": _noise_bursts}[str(recipe["kind"])]
    out = maker(**args) * float(recipe.get("gain", 1.0))  # type: ignore[arg-type]
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def _original_logmel(audio: np.ndarray) -> np.ndarray:
    """musicnn.extractor.batch_data's spectrogram lines, verbatim (numpy < 2: the float16 mel
    is promoted to float32 by ``10000 * rep``)."""
    import librosa

    rep = librosa.feature.melspectrogram(y=audio, sr=SR, hop_length=256, n_fft=512,
                                         n_mels=96).T
    rep = rep.astype(np.float16)
    return np.log10(10000 * rep + 1)


def _repeat_pad(rep: np.ndarray) -> np.ndarray:
    """musicnn-training's ``pad_short == 'repeat-pad'``: tile in time, crop to N_FRAMES."""
    src = rep
    while src.shape[0] < N_FRAMES:
        src = np.concatenate((src, rep), axis=0)
    return src[:N_FRAMES]


def _run_graph(root: str, model: str, batch: np.ndarray) -> np.ndarray:
    import tensorflow as tf
    from musicnn import models

    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, 96])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y = models.define_model(x, is_training, model, 50)[0]
        prob = tf.nn.sigmoid(y)
    with tf.compat.v1.Session() as sess:
        tf.compat.v1.train.Saver().restore(sess, os.path.join(root, "musicnn", model) + "/")
        return np.concatenate([sess.run(prob, {x: batch[i:i + 1], is_training: False})
                               for i in range(batch.shape[0])])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--musicnn-root", required=True, help="folder holding the unzipped wheel")
    ap.add_argument("--out", required=True)
    ap.add_argument("--debug-npz", help="also dump full spectrograms/taggrams here")
    args = ap.parse_args()
    sys.path.insert(0, args.musicnn_root)
    import librosa
    import soundfile as sf
    import tensorflow as tf
    from musicnn import extractor

    fixture: dict[str, object] = {
        "about": "Taggrams of the original musicnn 0.1.0 (TF graph) on clips from "
                 "tools/musicnn_reference.py; regenerate with that script.",
        "versions": {"tensorflow": tf.__version__, "librosa": librosa.__version__,
                     "numpy": np.__version__, "resampler": "none (16 kHz float wav in)"},
        "clips": {},
    }
    debug: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, recipe in CLIPS.items():
            audio = synthesize(recipe)
            wav = os.path.join(tmp, f"{name}.wav")
            sf.write(wav, audio, SR, subtype="FLOAT")
            loaded, _ = librosa.load(wav, sr=SR)
            rep = _original_logmel(loaded)
            if not np.isfinite(rep).all():
                raise SystemExit(f"{name}: the original's log-mel is not finite")
            entry: dict[str, object] = {
                "recipe": recipe, "samples": int(audio.size),
                "rms": float(np.sqrt(np.mean(audio.astype(np.float64) ** 2))),
                "frames": int(rep.shape[0]),
                "logmel_band_mean": [round(float(v), 5) for v in rep.astype(np.float64).mean(0)],
                "padded": rep.shape[0] < N_FRAMES, "taggrams": {},
            }
            debug[f"{name}/logmel"] = rep
            for model in MODELS:
                if rep.shape[0] >= N_FRAMES:
                    taggram, _ = extractor.extractor(wav, model=model, extract_features=False)
                    batch, _ = extractor.batch_data(wav, N_FRAMES, N_FRAMES)
                    check = _run_graph(args.musicnn_root, model, batch)
                    assert np.abs(check - taggram).max() < 1e-6
                else:
                    taggram = _run_graph(args.musicnn_root, model, _repeat_pad(rep)[None])
                debug[f"{name}/{model}"] = taggram
                entry["taggrams"][model] = [[round(float(v), 6) for v in row]  # type: ignore[index]
                                            for row in taggram]
            fixture["clips"][name] = entry  # type: ignore[index]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    if args.debug_npz:
        np.savez(args.debug_npz, **debug)


if __name__ == "__main__":
    main()
