"""Choosing the CPU backend for covers (#20): OpenVINO when installed and not turned off, and one
sentence with the install command when it is asked for but missing (exit 2 on the CLI)."""

from __future__ import annotations

import os
import sys

import pytest

from albumstudio.core.errors import InputError
from albumstudio.engines import device
from albumstudio.engines.device import OPENVINO_INSTALL, choose_cover_device
from tests.support import synth
from tests.test_cli import run_cli


def one_sentence(message: str) -> bool:
    return (message.endswith(".") and message.count(". ") == 0 and "\n" not in message
            and "Traceback" not in message)


def no_gpu() -> bool:
    import torch

    return not torch.cuda.is_available() and not device._mps_available(torch)


def test_asking_for_openvino_without_it_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(device, "openvino_installed", lambda: False)
    with pytest.raises(InputError) as caught:
        choose_cover_device("openvino")
    message = str(caught.value)
    assert one_sentence(message) and OPENVINO_INSTALL in message


def test_an_openvino_that_cannot_be_imported_is_the_same_sentence(monkeypatch):
    from albumstudio.engines.openvino_convert import require_openvino

    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino → ImportError
    with pytest.raises(InputError) as caught:
        require_openvino()
    assert one_sentence(str(caught.value)) and OPENVINO_INSTALL in str(caught.value)


@pytest.mark.skipif(not no_gpu(), reason="this machine has a GPU: auto picks it")
def test_auto_uses_openvino_on_the_cpu_when_installed_unless_turned_off(monkeypatch):
    monkeypatch.setattr(device, "openvino_installed", lambda: True)
    monkeypatch.delenv(device.BACKEND_ENV, raising=False)
    monkeypatch.setenv(device.PRECISION_ENV, "f32")
    choice = choose_cover_device("auto")
    assert (choice.device, choice.backend, choice.name, choice.precision) == (
        "cpu", "openvino", "cpu-openvino", "f32")
    monkeypatch.setenv(device.BACKEND_ENV, "torch")
    assert choose_cover_device("auto").name == "cpu"
    assert choose_cover_device("cpu").name == "cpu"  # plain CPU is always PyTorch
    monkeypatch.setattr(device, "openvino_installed", lambda: False)
    monkeypatch.delenv(device.BACKEND_ENV)
    assert choose_cover_device("auto").name == "cpu"


def test_a_bad_precision_hint_is_one_sentence(monkeypatch):
    monkeypatch.setattr(device, "openvino_installed", lambda: True)
    monkeypatch.setenv(device.PRECISION_ENV, "int4")
    with pytest.raises(InputError) as caught:
        choose_cover_device("openvino")
    assert one_sentence(str(caught.value)) and "bf16" in str(caught.value)


def test_the_cli_exits_2_with_the_install_command_when_openvino_is_broken(tmp_path, data_home,
                                                                         monkeypatch, tiny_sd):
    fake = tmp_path / "site" / "openvino"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no openvino here')\n")
    track = synth.write(tmp_path / "beat.wav", synth.music(3.0, sr=22050, bpm=120), 22050)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(tmp_path / "site"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    result = run_cli("cover", track, "--engine", "diffusion", "--device", "openvino",
                     "--model", tiny_sd, "--size", "256", "--out", tmp_path / "c.png",
                     env_home=data_home)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("albumstudio: error")]
    assert len(lines) == 1 and OPENVINO_INSTALL in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "c.png").exists()


def test_a_failed_conversion_is_one_sentence_and_leaves_nothing(tmp_path, monkeypatch):
    from albumstudio.engines import openvino_convert
    from albumstudio.engines.openvino_convert import IrStore, PartKey, convert_parts

    def broken(_module):
        raise RuntimeError("Exception from src/frontends/pytorch: unsupported operation")

    monkeypatch.setitem(openvino_convert.CONVERTERS, "unet", broken)
    store = IrStore(tmp_path / "ir")
    seen = []
    with pytest.raises(InputError) as caught:
        convert_parts(store, [(PartKey("unet", "slot", "0123"), object)],
                      lambda done, total, text: seen.append((done, total, text)))
    message = str(caught.value)
    assert one_sentence(message) and "could not convert the unet" in message
    assert "ALBUMSTUDIO_CPU_BACKEND=torch" in message
    assert seen == [(0, 1, "converting the unet to OpenVINO (once)…")]
    assert not store.ready(PartKey("unet", "slot", "0123"))
    assert not (tmp_path / "ir").exists() or not any((tmp_path / "ir").iterdir())
