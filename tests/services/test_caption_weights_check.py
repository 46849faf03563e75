"""Whether the music captioner is installed is answered from the converted file's header, without
importing torch: the window asks it on the GUI thread each time a track opens (#18)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from albumstudio.engines.lp_musiccaps_weights import FORMAT, FORMAT_VERSION, bart_overrides

ROOT = Path(__file__).resolve().parents[2]


def converted_file(path: Path, overrides: str = "{}") -> Path:
    """A file as convert_checkpoint writes it (numpy here, so making it imports no torch)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"bart.model.shared.weight": np.zeros((4, 2), dtype=np.float32)}, str(path),
              metadata={"format": FORMAT, "version": FORMAT_VERSION, "source": "transfer.pth",
                        "source_bytes": "123", "bart_overrides": overrides})
    return path


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_checking_the_captioner_imports_no_torch(tmp_path):
    weights = converted_file(tmp_path / "lpmc" / "w.safetensors")
    (tmp_path / "empty-hub").mkdir()
    result = run_python(f"""
        import os, sys
        from pathlib import Path
        os.environ["HF_HUB_CACHE"] = {str(tmp_path / "empty-hub")!r}
        from albumstudio.core.model_registry import use_local_folders
        from albumstudio.engines.lp_musiccaps_weights import is_converted
        from albumstudio.services.captions import CAPTIONER, CaptionService
        from albumstudio.store.paths import DataPaths

        use_local_folders({{CAPTIONER: {str(weights.parent)!r}}})
        service = CaptionService(DataPaths(Path({str(tmp_path / "data")!r}),
                                           Path({str(tmp_path / "cache")!r})).ensure())
        assert is_converted({str(weights)!r})
        assert service._ready_weights() is not None
        print("missing:", service.missing())
        print("torch imported:", "torch" in sys.modules)
        """)
    assert result.returncode == 0, result.stderr
    assert "missing: Music captions need" in result.stdout  # the tokenizer is not there
    assert "torch imported: False" in result.stdout


def test_the_header_still_tells_a_converted_file_from_others(tmp_path):
    from albumstudio.engines.lp_musiccaps_weights import converted_metadata, is_converted

    good = converted_file(tmp_path / "good.safetensors", '{"d_model": 8}')
    assert converted_metadata(good)["source"] == "transfer.pth"
    assert bart_overrides(good) == {"d_model": 8}
    source = tmp_path / "transfer.pth"
    source.write_bytes(b"x" * 123)
    assert is_converted(good, source)
    source.write_bytes(b"x" * 124)
    assert not is_converted(good, source)
    other = tmp_path / "other.safetensors"
    save_file({"x": np.zeros(3, dtype=np.float32)}, str(other), metadata={"format": "pt"})
    assert converted_metadata(other) is None and not is_converted(other)
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(good.read_bytes()[:-4])
    assert converted_metadata(cut) is None
    assert converted_metadata(tmp_path / "absent.safetensors") is None
