"""What the service tests share: tiny random caption models chosen as local folders, and the
model manager on a tiny hub."""

import pytest

from albumstudio.core.model_registry import use_local_folders
from albumstudio.services.captions import CAPTIONER, SUMMARIZER, TOKENIZER
from albumstudio.services.model_manager import ModelManager
from tests.support import tiny_captions
from tests.support.tiny_hub import SEG, TinyHub, seg_repo


@pytest.fixture(scope="module")
def tiny_caption_models(tmp_path_factory):
    """The folder :func:`tiny_captions.save_caption_models` fills, built once per module."""
    return tiny_captions.save_caption_models(tmp_path_factory.mktemp("caption-models"))


@pytest.fixture
def captioner_folder(tiny_caption_models):
    """The LP-MusicCaps folder chosen; tests that convert into it again override this."""
    return tiny_caption_models / "lpmc"


@pytest.fixture
def caption_folders(tiny_caption_models, captioner_folder, monkeypatch, tmp_path):
    """The tiny caption models chosen as the app's local folders (role → folder), with an
    empty Hugging Face cache so nothing else is found."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    chosen = {CAPTIONER: str(captioner_folder),
              TOKENIZER: str(tiny_caption_models / "tokenizer"),
              SUMMARIZER: str(tiny_caption_models / "summary")}
    use_local_folders(chosen)
    yield chosen
    use_local_folders({})


@pytest.fixture
def hub():
    """The tiny hub on 127.0.0.1 serving the segmenter's repository (``SEG``)."""
    served = TinyHub({SEG: seg_repo()}).start()
    yield served
    served.stop()


@pytest.fixture
def manager(hub, tmp_path):
    """A model manager with an empty cache of its own, downloading from ``hub``."""
    return ModelManager(cache=tmp_path / "hf" / "hub", endpoint=hub.endpoint)
