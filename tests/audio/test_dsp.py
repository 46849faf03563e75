"""The numpy analysis blocks against the librosa and scipy functions they replace."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from albumstudio.audio import dsp
from albumstudio.audio.loudness import (
    OVERSAMPLING,
    TAPS_PER_PHASE,
    LoudnessMeter,
    TruePeakMeter,
    _interpolation_phases,
    _StateSpaceFilter,
    k_weighting_sos,
)
from tests.support.synth import music

librosa = pytest.importorskip("librosa")
SR, N_FFT, HOP = 22050, 2048, 512


@pytest.fixture(scope="module", params=[(72.0, 0), (118.0, 1), (151.0, 2)])
def signal(request) -> np.ndarray:
    bpm, seed = request.param
    return music(40.0, sr=SR, bpm=bpm, channels=1, seed=seed)[:, 0]


@pytest.fixture(scope="module")
def features(signal):
    power = np.abs(librosa.stft(signal, n_fft=N_FFT, hop_length=HOP, center=False)) ** 2
    mel_db = librosa.power_to_db(librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=96) @ power)
    onset = librosa.onset.onset_strength(S=mel_db, sr=SR, hop_length=HOP)
    return power, mel_db, onset


def test_filter_banks_match_librosa():
    np.testing.assert_allclose(dsp.mel_filters(SR, N_FFT, 96),
                               librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=96), atol=1e-8)
    np.testing.assert_allclose(dsp.chroma_filters(SR, N_FFT),
                               librosa.filters.chroma(sr=SR, n_fft=N_FFT, tuning=0.0), atol=1e-7)
    np.testing.assert_allclose(dsp.mel_filters(16000, 512, 96),
                               librosa.filters.mel(sr=16000, n_fft=512, n_mels=96), atol=1e-8)


def test_spectrum_decibels_and_mfcc_match_librosa(signal, features):
    power, mel_db, _ = features
    ours = dsp.power_frames(signal, N_FFT, HOP, dsp.hann(N_FFT))
    assert ours.shape == power.shape
    np.testing.assert_allclose(ours, power, atol=1e-6 * power.max())
    mel = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=96) @ power
    np.testing.assert_allclose(dsp.power_to_db(mel), mel_db, atol=1e-4)
    np.testing.assert_allclose(dsp.dct_ortho(mel_db, 14),
                               librosa.feature.mfcc(S=mel_db, n_mfcc=14), atol=1e-3)


def test_onsets_tempo_and_beats_match_librosa(features):
    _, mel_db, onset = features
    ours = dsp.onset_strength(mel_db, N_FFT, HOP)
    np.testing.assert_allclose(ours, onset, atol=1e-5)
    tg = librosa.feature.tempogram(onset_envelope=onset, sr=SR, hop_length=HOP, win_length=344)
    mine = np.concatenate(list(dsp.tempogram_columns(onset, 344, chunk=700))).T
    np.testing.assert_allclose(mine, tg, atol=1e-6)
    tempo = float(librosa.feature.tempo(tg=tg.mean(axis=1, keepdims=True), sr=SR,
                                        hop_length=HOP)[0])
    assert dsp.tempo_from_tempogram(mine.mean(axis=1), SR, HOP) == pytest.approx(tempo)
    _, beats = librosa.beat.beat_track(onset_envelope=onset, sr=SR, hop_length=HOP, bpm=tempo)
    np.testing.assert_array_equal(dsp.beat_track(onset, tempo, SR / HOP), beats)
    np.testing.assert_array_equal(dsp.onset_detect(onset, SR, HOP),
                                  librosa.onset.onset_detect(onset_envelope=onset, sr=SR,
                                                             hop_length=HOP))


def test_beat_tracking_of_an_envelope_without_onsets_is_empty():
    assert dsp.beat_track(np.zeros(500, np.float32), 120.0, SR / HOP).size == 0
    assert dsp.onset_detect(np.zeros(500, np.float32), SR, HOP).size == 0


@pytest.mark.parametrize("seed", range(4))
def test_find_peaks_matches_scipy(seed):
    from scipy.signal import find_peaks

    rng = np.random.default_rng(seed)
    x = np.clip(np.convolve(rng.random(600), np.ones(5) / 5, "same") - 0.3, 0, 1)
    x[100:104] = x.max()  # a plateau
    expected, _ = find_peaks(x, height=0.25, distance=16, prominence=0.1)
    np.testing.assert_array_equal(dsp.find_peaks(x, 0.25, 16, 0.1), expected)


@pytest.mark.parametrize("rate", [8000, 44100, 192000])
def test_k_weighting_filter_matches_sosfilt_across_blocks(rate):
    from scipy.signal import sosfilt

    rng = np.random.default_rng(rate)
    x = rng.standard_normal((rate * 3 + 17, 2)) * 0.3
    sos = k_weighting_sos(rate)
    expected = sosfilt(sos, x, axis=0)
    ours = _StateSpaceFilter(sos, 2)
    got = np.concatenate([ours.run(np.ascontiguousarray(x[i:i + 50_001].T)).T
                          for i in range(0, x.shape[0], 50_001)])
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_true_peak_equals_the_exhaustive_interpolation():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((44100 * 3, 2)) * 0.2).astype(np.float32)
    x[rng.integers(0, x.shape[0], 4)] *= 4
    phases = _interpolation_phases(OVERSAMPLING, TAPS_PER_PHASE).astype(np.float32)
    padded = np.concatenate([np.zeros((16, 2), np.float32), x, np.zeros((16, 2), np.float32)])
    expected = float(np.abs(x).max())
    for lane in padded.T:
        windows = np.lib.stride_tricks.sliding_window_view(lane, TAPS_PER_PHASE + 1)
        expected = max(expected, float(np.abs(windows @ phases.T).max()))
    meter = TruePeakMeter(44100, 2)
    for start in range(0, x.shape[0], 30_000):
        meter.add(x[start:start + 30_000])
    assert meter.peak() == pytest.approx(expected, rel=1e-6)
    loud = LoudnessMeter(44100, 2)
    loud.add(x)
    assert np.isfinite(loud.integrated_lufs())


def test_a_fresh_analysis_imports_no_jit_scipy_signal_scipy_fft_or_torch():
    code = (
        "import sys, numpy as np\n"
        "from albumstudio.audio.analysis import analyze_stream\n"
        "from tests.support.synth import music\n"
        "analyze_stream([music(12.0, sr=44100)], 44100, 2, tagger_audio=[])\n"
        "heavy = ('numba', 'librosa', 'scipy.signal', 'scipy.ndimage', 'scipy.fft',\n"
        "         'scipy.special', 'numpy.f2py', 'numpy.testing', 'torch')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip() == ""


def test_nearest_onset_distance_matches_the_full_matrix_without_building_it():
    """An hour of beats against an hour of onsets as a matrix took 800 MB (#11 item 10)."""
    from albumstudio.audio.analysis import _nearest_distance

    rng = np.random.default_rng(0)
    for _ in range(200):
        beats = rng.integers(0, 5000, rng.integers(1, 80))
        onsets = rng.integers(0, 5000, rng.integers(1, 80))
        full = np.min(np.abs(beats[:, None] - onsets[None, :]), axis=1)
        assert np.array_equal(_nearest_distance(beats, onsets), full)
