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
