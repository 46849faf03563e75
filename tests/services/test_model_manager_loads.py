"""What the model manager downloads is what the app's own loader finds, offline, in the same
cache: a tiny SegFormer served by a local hub, fetched, then loaded by the segmentation engine
in a fresh process with ``HF_HUB_OFFLINE=1``."""

from __future__ import annotations

import os
import subprocess
import sys

from albumstudio.services.model_manager import ModelManager
from tests.services.test_model_manager_downloads import SEG
from tests.support.tiny_hub import Repo, TinyHub
from tests.support.tiny_vision_models import build_tiny_segformer

LOAD = """
from albumstudio.engines.models import prepare_model_environment
prepare_model_environment()
from PIL import Image
from albumstudio.engines.segmentation import Segmenter
labels = Segmenter().labels(Image.new("RGB", (64, 48), (120, 80, 40)))
print("labels", labels.shape, labels.dtype)
"""


def test_a_downloaded_model_loads_through_the_apps_loader_offline(tmp_path):
    folder = build_tiny_segformer(tmp_path / "tiny-seg")
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert "model.safetensors" in files
    hub = TinyHub({SEG: Repo(files)}).start()
    try:
        cache = tmp_path / "hf-cache"
        status = ModelManager(cache=cache, endpoint=hub.endpoint).download("segmenter")
    finally:
        hub.stop()
    assert status.state == "present"
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1",
           "HF_ENDPOINT": "http://127.0.0.1:9"}  # nothing may be fetched now
    done = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "labels (48, 64) uint8" in done.stdout
