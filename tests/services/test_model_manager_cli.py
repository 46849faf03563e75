"""``albumstudio models``: list every registry entry with its licence, download, verify, remove,
and one sentence with exit code 2 for what cannot be done."""

from __future__ import annotations

import json
import socket
import time

import pytest

from albumstudio.cli import main
from albumstudio.core.model_registry import models
from tests.services.test_model_manager_downloads import SEG, seg_repo
from tests.support.tiny_hub import TinyHub


@pytest.fixture
def hub(tmp_path, monkeypatch):
    served = TinyHub({SEG: seg_repo()}).start()
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_ENDPOINT", served.endpoint)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield served
    served.stop()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["models", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_json_covers_every_registry_entry_with_its_licence(hub, capsys):
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    data = json.loads(out)
    listed = {(m["role"], m["id"]): m for m in data["models"]}
    assert set(listed) == {(e.role, e.id) for e in models()}
    for entry in models():
        item = listed[(entry.role, entry.id)]
        assert item["license"] == entry.license and item["commercial_use"] == entry.commercial_use
        assert item["state"] == ("bundled" if entry.bundled else "missing")
    assert data["free_bytes"] > 0 and data["cache"].endswith("hf-cache")


def test_download_verify_and_remove(hub, capsys):
    code, out, err = run(capsys, "download", "segmenter")
    assert code == 0 and f"{SEG}: In the Hugging Face cache." in out
    assert "not for commercial use" in err  # the licence is said at once
    code, out, _ = run(capsys, "verify", "--json")
    report = json.loads(out)
    assert code == 0 and [r["id"] for r in report] == [SEG] and report[0]["ok"]
    code, out, _ = run(capsys, "list")
    assert code == 0 and any(SEG in line and "present" in line for line in out.splitlines())
    code, out, _ = run(capsys, "remove", SEG)
    assert code == 0 and "MB freed" in out
    code, out, _ = run(capsys, "list", "--json")
    states = {m["id"]: m["state"] for m in json.loads(out)["models"]}
    assert states[SEG] == "missing"


def test_acknowledge_is_kept(hub, capsys):
    from albumstudio.services.model_manager import needs_acknowledgement

    assert needs_acknowledgement("musicgen")
    code, out, _ = run(capsys, "acknowledge", "musicgen")
    assert code == 0 and "CC-BY-NC 4.0" in out
    assert not needs_acknowledgement("facebook/musicgen-small")


def test_an_unknown_model_is_one_sentence_and_exit_2(hub, capsys):
    code, out, err = run(capsys, "download", "no-such-model")
    assert code == 2 and out == ""
    assert err.startswith("albumstudio: error: 'no-such-model' is neither") and err.count("\n") == 1


def test_offline_is_one_sentence_within_a_second(hub, capsys, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    code, _, err = run(capsys, "download", "musicgen")
    assert time.monotonic() - started < 1.0
    assert code == 2 and "offline" in err and err.count("\n") == 1
    code, out, _ = run(capsys, "list", "--json")  # what is here is still listed
    assert code == 0 and json.loads(out)["models"]


def test_list_devices_says_where_models_run_and_how_long_a_cpu_cover_takes(hub, capsys):
    code, out, _ = run(capsys, "list", "--devices", "--json")
    data = json.loads(out)
    assert code == 0 and data["devices"]["device"] in ("cpu", "cuda", "mps")
    if data["devices"]["device"] == "cpu":
        assert data["cpu_estimate"]["jobs"] == 0
        assert data["cpu_estimate"]["sentence"].startswith("No past diffusion job")
    code, out, _ = run(capsys, "list", "--devices")
    assert code == 0 and "Models run on" in out


def test_folder_chooses_and_forgets_a_folder_for_a_role(hub, capsys, tmp_path):
    from albumstudio.core.model_registry import default_model, use_local_folders

    folder = tmp_path / "my-blip"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    try:
        code, out, _ = run(capsys, "folder", "captioner", str(folder))
        assert code == 0 and str(folder.resolve()) in out
        assert default_model("captioner") == str(folder.resolve())
        code, out, _ = run(capsys, "list", "--json")
        states = {m["id"]: m["state"] for m in json.loads(out)["models"]}
        assert states["Salesforce/blip-image-captioning-base"] == "local folder"
        code, _, err = run(capsys, "folder", "captioner")
        assert code == 2 and "--clear" in err
        code, out, _ = run(capsys, "folder", "captioner", "--clear")
        assert code == 0 and "Salesforce/blip-image-captioning-base" in out
        assert default_model("captioner") == "Salesforce/blip-image-captioning-base"
    finally:
        use_local_folders({})
