"""Safe names: nothing climbs out of its folder, Windows accepts every name, nothing is overwritten."""

from __future__ import annotations

import unicodedata

import pytest

from albumstudio.core.errors import InputError
from albumstudio.export.safe_names import (
    inside,
    is_reserved,
    kit_folder_name,
    safe_component,
    unused_path,
)


@pytest.mark.parametrize("hostile", [
    "../../etc/passwd", "..", ".", "a/b\\c", "/absolute", "C:\\Windows\\x", "x\x00y\x1b[31m",
    "trailing. . ", "CON", "nul.txt", "Com1", "lpt9.mp3", "a<b>c:d\"e|f?g*h", "\u202eevil",
    "", "   ", "...."])
def test_hostile_names_become_one_plain_component(tmp_path, hostile):
    name = safe_component(hostile)
    assert name and "/" not in name and "\\" not in name and name not in (".", "..")
    assert not any(ch in name for ch in '<>:"|?*')
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name)
    assert not name.endswith((".", " ")) and not is_reserved(name)
    assert inside(tmp_path, name).parent == tmp_path
    (tmp_path / name).write_bytes(b"x")  # the file system takes it


def test_reserved_names_are_kept_readable_and_unicode_is_nfc():
    assert safe_component("CON") == "_CON"
    assert safe_component("nul.txt") == "_nul.txt"
    assert safe_component("Console") == "Console"
    decomposed = "Be\u0301la Bartok"
    assert safe_component(decomposed) == unicodedata.normalize("NFC", decomposed)
    assert kit_folder_name("Ané", "Nights / Days") == "Ané - Nights Days"
    assert kit_folder_name("", "") == "Release"


def test_long_names_are_cut_by_bytes_not_inside_a_character_and_keep_their_extension():
    name = safe_component("é" * 300 + ".flac", max_bytes=100)
    assert len(name.encode("utf-8")) <= 100 and name.endswith(".flac")
    name = safe_component("日本" * 200, max_bytes=50)
    assert len(name.encode("utf-8")) <= 50
    name.encode("utf-8").decode("utf-8")


def test_unused_path_adds_a_number_for_files_and_folders(tmp_path):
    target = tmp_path / "cover.jpg"
    assert unused_path(target) == target
    target.write_bytes(b"1")
    (tmp_path / "cover (2).jpg").write_bytes(b"2")
    assert unused_path(target).name == "cover (3).jpg"
    folder = tmp_path / "A - B.v2"
    folder.mkdir()
    assert unused_path(folder).name == "A - B.v2 (2)"


def test_inside_refuses_traversal(tmp_path):
    for bad in ("..", "../x", "a/b", ""):
        with pytest.raises(InputError, match="not a plain file name"):
            inside(tmp_path, bad)
