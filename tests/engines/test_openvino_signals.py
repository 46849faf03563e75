"""Ctrl+C after OpenVINO covers (#20): every compiled part shares the process's one OpenVINO
Core, so the thread's alternate signal stack never points at freed memory.

Each OpenVINO Core's CPU plugin gives the compiling thread a signal stack of its own and puts
back the one it found when it goes. With one Core per part, freed in the order they were made,
the next SIGINT could segfault the process: the whole test run crashed in the batch tests'
Ctrl+C after the OpenVINO cover tests, every time, until the parts shared one Core.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from albumstudio.engines.device import openvino_installed

if not openvino_installed():
    pytest.skip("openvino is not installed (pip install 'albumstudio[cpu-fast]')",
                allow_module_level=True)


def tiny_ir(path, width: int) -> None:
    import numpy as np
    import openvino as ov
    import openvino.opset13 as ops

    param = ops.parameter([1, width], np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(ov.Model([ops.relu(param)], [param]), str(path))


KEYS = (("unet", "a", 4), ("vae_decoder", "b", 8))


@pytest.fixture(scope="module")
def ir_root(tmp_path_factory):
    """Two tiny converted parts (OpenVINO's save_model starts a worker thread that stays: made
    here, before the per-test thread check looks)."""
    from albumstudio.engines.openvino_convert import IrStore, PartKey

    root = tmp_path_factory.mktemp("ir")
    for part, name, width in KEYS:
        tiny_ir(IrStore(root).path(PartKey(part, name * 12, name * 12)), width)
    return root


def test_every_part_the_pipeline_compiles_uses_the_one_shared_core(ir_root):
    from albumstudio.engines.openvino_convert import PartKey, shared_core
    from albumstudio.engines.openvino_pipeline import OpenVinoPipelineCache

    cache = OpenVinoPipelineCache(ir_root)
    parts = [cache._part(PartKey(part, name * 12, name * 12), "f32") for part, name, _ in KEYS]
    assert len({id(part) for part in parts}) == 2
    assert all(part.core is shared_core() for part in parts)
    assert shared_core() is shared_core()
    cache.unload()


SCRIPT = textwrap.dedent("""
    import gc, os, signal, sys, time
    from pathlib import Path
    import numpy as np
    from albumstudio.engines.openvino_convert import PartKey
    from albumstudio.engines.openvino_pipeline import OpenVinoPipelineCache
    sys.path.insert(0, sys.argv[2])
    from tests.engines.test_openvino_signals import tiny_ir

    cache = OpenVinoPipelineCache(Path(sys.argv[1]))
    for width, name in ((4, "a"), (8, "b")):
        key = PartKey("unet", name * 12, name * 12)
        tiny_ir(cache.store.path(key), width)
        cache._part(key, "f32")(np.ones((1, width), np.float32))
    cache.unload()  # the parts go in the order they were made
    gc.collect()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
    except KeyboardInterrupt:
        print("interrupted cleanly")
""")


def test_ctrl_c_after_the_compiled_parts_are_freed_is_a_clean_interrupt(tmp_path):
    """End to end, in a fresh process as a user's Ctrl+C would be (a sanity check: the crash
    depended on where the freed stack had been, so this alone would not always catch it)."""
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "ir"), root],
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "interrupted cleanly" in done.stdout
