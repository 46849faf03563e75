"""The numpy musicnn forward pass: the PyTorch port's outputs, and tagging without torch."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from albumstudio.audio import musicnn_numpy, tagger
from albumstudio.audio.tagger import MODELS


@pytest.mark.parametrize("model", MODELS)
def test_numpy_forward_equals_the_torch_port(model):
    from albumstudio.audio import musicnn

    batch = np.random.default_rng(len(model)).standard_normal((3, 187, 96)).astype(np.float32)
    batch[1] *= 3.0  # larger activations, other signs at the front end's max/min
    net = tagger._load(model)
    assert isinstance(net, musicnn_numpy.NumpyMusicnn)
    from importlib import resources

    with resources.as_file(tagger._resource(f"{model}.safetensors")) as path:
        reference = musicnn.load_model(str(path))
    np.testing.assert_allclose(net.predict(batch), musicnn.predict(reference, batch), atol=1e-5)


def test_tagging_in_a_fresh_process_never_imports_torch():
    code = (
        "import sys, numpy as np\n"
        "from albumstudio.audio.tagger import tag_samples\n"
        "tags = tag_samples(np.random.default_rng(0).standard_normal(16000 * 7) * 0.1)\n"
        "assert len(tags.taggram) == 2\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("frames", [1, 9, 33, 187])
def test_front_end_equals_the_direct_convolutions_at_any_length(frames):
    """The mel-DFT timbral products and the blocked temporal products against the plain
    sliding-window sums (float64), at frame counts off the step and the block."""
    net = tagger._load(tagger.DEFAULT_MODEL)
    from importlib import resources

    from safetensors.numpy import load_file

    with resources.as_file(tagger._resource(f"{tagger.DEFAULT_MODEL}.safetensors")) as path:
        w = load_file(str(path))
    x = np.random.default_rng(frames).standard_normal((2, frames, 96)).astype(np.float32) * 2
    got = net.features(x)
    normed = net._input(x.astype(np.float64), axis=0)
    first = 0
    for name in musicnn_numpy.FRONT:
        kernel = w[f"{name}.weight"][:, 0].astype(np.float64)  # (channels, kt, km)
        channels, kt, km = kernel.shape
        lead = 3 if name.startswith("timbral") else (kt - 1) // 2
        padded = np.zeros((2, frames + kt - 1, 96))
        padded[:, lead:lead + frames] = normed
        windows = np.lib.stride_tricks.sliding_window_view(padded, (kt, km), axis=(1, 2))
        z = np.einsum("btpij,cij->btpc", windows, kernel) + w[f"{name}.bias"]
        bn = musicnn_numpy._bn(w, f"{name}_bn")
        want = np.max(bn(np.maximum(z, 0.0), axis=3), axis=2)  # the BN after the max, as a max
        np.testing.assert_allclose(got[:, :, first:first + channels], want, atol=2e-4, rtol=1e-5)
        first += channels
    assert first == got.shape[2]


def test_a_spectrogram_of_other_mel_bands_is_refused_in_one_sentence():
    net = tagger._load(tagger.DEFAULT_MODEL)
    with pytest.raises(ValueError, match=r"^musicnn reads 96 mel bands, not 80$"):
        net.features(np.zeros((1, 187, 80), dtype=np.float32))
