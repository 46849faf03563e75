"""Convert musicnn's TF1 checkpoints (MTT_musicnn, MSD_musicnn) to safetensors in torch layout.

Run once, outside the app's environment; the app and the tests never import TensorFlow::

    pip download --no-deps -d /tmp/mn musicnn==0.1.0
    mkdir -p /tmp/mn/src && unzip -o -q /tmp/mn/musicnn-0.1.0-py3-none-any.whl -d /tmp/mn/src
    python3.11 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install "tensorflow-cpu==2.15.*" "numpy<2" safetensors
    /tmp/tfenv/bin/python tools/convert_musicnn.py --musicnn-root /tmp/mn/src \\
        --out resources/musicnn

It writes ``{MTT,MSD}_musicnn.safetensors`` (float32, names of the modules in
``albumstudio/audio/musicnn.py``), ``tags.json`` (each model's 50 tag names in output order,
copied from musicnn/configuration.py) and ``LICENSE-musicnn.txt`` (the wheel's ISC notice).
Only the checkpoint reader is used (no graph is built); Adam slots are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

import numpy as np

MODELS = ("MTT_musicnn", "MSD_musicnn")

# TF1 layer names follow creation order in musicnn/models.py: input BN, timbral 7x38 and 7x67,
# temporal 128/64/32, mid-end convs 1-3, back-end BN, dense, BN, dense_1.
CONVS_2D = {"conv2d": "timbral_74", "conv2d_1": "timbral_77", "conv2d_2": "temporal_128",
            "conv2d_3": "temporal_64", "conv2d_4": "temporal_32"}
CONVS_MID = {"conv2d_5": "midend_1", "conv2d_6": "midend_2", "conv2d_7": "midend_3"}
DENSE = {"dense": "dense", "dense_1": "logits"}
BATCH_NORMS = {
    "batch_normalization": "input_bn", "batch_normalization_1": "timbral_74_bn",
    "batch_normalization_2": "timbral_77_bn", "batch_normalization_3": "temporal_128_bn",
    "batch_normalization_4": "temporal_64_bn", "batch_normalization_5": "temporal_32_bn",
    "batch_normalization_6": "midend_1_bn", "batch_normalization_7": "midend_2_bn",
    "batch_normalization_8": "midend_3_bn", "batch_normalization_9": "pool_bn",
    "batch_normalization_10": "dense_bn",
}


def convert(reader: object) -> dict[str, np.ndarray]:
    """Map checkpoint tensors to torch names and layouts (NHWC/HWIO -> NCHW/OIHW)."""
    get = reader.get_tensor  # type: ignore[attr-defined]
    out: dict[str, np.ndarray] = {}
    for tf_name, name in CONVS_2D.items():
        out[f"{name}.weight"] = get(f"{tf_name}/kernel").transpose(3, 2, 0, 1)
        out[f"{name}.bias"] = get(f"{tf_name}/bias")
    for tf_name, name in CONVS_MID.items():
        # (7, C, 1, 64) with the features on the width axis -> Conv1d (64, C, 7)
        out[f"{name}.weight"] = get(f"{tf_name}/kernel")[:, :, 0, :].transpose(2, 1, 0)
        out[f"{name}.bias"] = get(f"{tf_name}/bias")
    for tf_name, name in DENSE.items():
        out[f"{name}.weight"] = get(f"{tf_name}/kernel").T
        out[f"{name}.bias"] = get(f"{tf_name}/bias")
    for tf_name, name in BATCH_NORMS.items():
        out[f"{name}.weight"] = get(f"{tf_name}/gamma")
        out[f"{name}.bias"] = get(f"{tf_name}/beta")
        out[f"{name}.running_mean"] = get(f"{tf_name}/moving_mean")
        out[f"{name}.running_var"] = get(f"{tf_name}/moving_variance")
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--musicnn-root", required=True, help="folder holding the unzipped wheel")
    ap.add_argument("--out", default="resources/musicnn")
    args = ap.parse_args()
    sys.path.insert(0, args.musicnn_root)
    import tensorflow as tf
    from musicnn import configuration
    from safetensors.numpy import save_file

    os.makedirs(args.out, exist_ok=True)
    for model in MODELS:
        ckpt = os.path.join(args.musicnn_root, "musicnn", model) + "/"
        tensors = convert(tf.compat.v1.train.NewCheckpointReader(ckpt))
        save_file(tensors, os.path.join(args.out, f"{model}.safetensors"),
                  metadata={"source": f"musicnn 0.1.0 (PyPI) {model}, ISC licence",
                            "converted_by": "tools/convert_musicnn.py"})
        print(model, len(tensors), "tensors,", sum(v.size for v in tensors.values()), "params")
    tags = {"MTT_musicnn": configuration.MTT_LABELS, "MSD_musicnn": configuration.MSD_LABELS}
    with open(os.path.join(args.out, "tags.json"), "w", encoding="utf-8") as f:
        json.dump(tags, f, indent=1)
        f.write("\n")
    licence = os.path.join(args.musicnn_root, "musicnn-0.1.0.dist-info", "LICENSE.md")
    with open(os.path.join(args.out, "LICENSE-musicnn.txt"), "w", encoding="utf-8") as f:
        f.write("The files MTT_musicnn.safetensors and MSD_musicnn.safetensors are the trained\n"
                "weights of musicnn 0.1.0 (https://github.com/jordipons/musicnn, PyPI\n"
                "'musicnn'), converted from its TensorFlow checkpoints by\n"
                "tools/convert_musicnn.py; tags.json lists its tag names. Licence (ISC):\n\n")
        with open(licence, encoding="utf-8") as src:
            shutil.copyfileobj(src, f)


if __name__ == "__main__":
    main()
