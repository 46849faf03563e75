"""Distributor profiles: data with sources, a generic base, one sentence for an unknown name."""

from __future__ import annotations

import re

import pytest

from albumstudio.core.distributors import GENERIC, profile, profile_names, profiles
from albumstudio.core.errors import InputError


def test_every_profile_has_rules_a_source_and_a_date():
    assert profiles()[0].name == GENERIC
    assert {"apple-music", "distrokid", "cd-baby"} <= set(profile_names())
    for entry in profiles():
        assert entry.min_px <= entry.recommended_px
        assert entry.formats and set(entry.formats) <= {"jpg", "png"}
        assert entry.colour_modes == ("RGB",)
        assert entry.source and entry.forbidden
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry.checked)
        assert entry.name == GENERIC or entry.url.startswith("http")


def test_rules_a_source_does_not_state_come_from_the_generic_profile_and_say_so():
    generic, cd_baby = profile(GENERIC), profile("cd-baby")
    assert generic.inherited == ()
    assert cd_baby.min_px == generic.min_px and "min_px" in cd_baby.inherited
    assert profile("distrokid").min_px == 1000 and "min_px" not in profile("distrokid").inherited
    assert profile("distrokid").formats == ("jpg",)
    assert generic.max_file_bytes == 3_000_000
    assert profile("music-gateway").max_file_bytes == 10_000_000


def test_names_are_forgiving_and_an_unknown_one_is_a_sentence():
    assert profile(None).name == GENERIC
    assert profile(" DistroKid ").name == "distrokid"
    with pytest.raises(InputError, match="no distributor profile 'tidal'; choose one of: generic"):
        profile("tidal")
