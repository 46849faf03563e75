from albumstudio.ui.drops import choose_track


def test_single_track(tmp_path):
    track = tmp_path / "a.flac"
    track.write_bytes(b"x")
    assert choose_track([str(track)]).path == str(track)


def test_folder_is_refused_with_a_sentence(tmp_path):
    choice = choose_track([str(tmp_path)])
    assert choice.path is None and "is a folder" in choice.error and choice.error.endswith(".")


def test_many_files_open_the_first_audio_and_say_so(tmp_path):
    paths = [str(tmp_path / f"{i}.txt") for i in range(5)] + [str(tmp_path / "b.mp3"),
                                                               str(tmp_path / "c.wav")]
    choice = choose_track(paths)
    assert choice.path.endswith("b.mp3")
    assert choice.note.startswith("7 items were dropped")


def test_many_non_audio_files_error(tmp_path):
    choice = choose_track([str(tmp_path / f"{i}.png") for i in range(200)])
    assert choice.path is None and "200 dropped items" in choice.error


def test_remote_urls_only():
    assert "this computer" in choose_track([], remote_count=2).error
