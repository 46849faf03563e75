"""A kit asked for the clip by name and told to leave it out says so in one sentence, before
the track is read, instead of quietly leaving the clip out."""

import pytest

from albumstudio.core.errors import InputError
from albumstudio.services.kit import KitRequest
from tests.support import synth


def test_clip_asked_for_and_left_out_is_one_sentence(kits, tmp_path):
    track = synth.write(tmp_path / "song.wav", synth.music(3.0, sr=22050), 22050)
    out = tmp_path / "out"
    out.mkdir()
    request = KitRequest(track=str(track), out=str(out), clip=False,
                         targets=("cover-jpeg", "clip"))
    with pytest.raises(InputError) as caught:
        kits.check_request(request)
    message = str(caught.value)
    assert "clip" in message and message.endswith(".") and "\n" not in message
    assert list(out.iterdir()) == []
    # without the name, --no-clip still just leaves it out
    kept = kits.targets(KitRequest(track=str(track), out=str(out), clip=False))
    assert "clip" not in [t.name for t in kept]
