"""A cover the artist saves is compressed well (#12): the same pixels, smaller than the
history's fast copy and no larger than Pillow's default PNG of them, film grain included
(libdeflate over "Up"-filtered rows: level 5 for grain and photos, 7 for flat art)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from albumstudio.core.cover import CoverRequest, DesignOptions
from albumstudio.engines.design_cover import run
from albumstudio.services.covers import compressed_png, save_cover


def test_a_saved_3000_px_cover_is_no_larger_than_pillows_default_png(tmp_path):
    # flat art (where level 6 only tied with Pillow's per-row filters), film grain, words
    for grain, words in ((0.0, ""), (0.0, "folk watercolour"), (0.3, ""), (0.25, "neon rain")):
        made = run(CoverRequest(title="Night Drive", artist="Ada Vale", size=3000, seed=4,
                                words=words,
                                options=DesignOptions(layout="bottom-left", grain=grain)))
        fast = made.images[0].png
        out = tmp_path / f"cover-{grain}-{len(words)}.png"
        save_cover(fast, str(out))
        with Image.open(io.BytesIO(fast)) as image:
            pixels = np.asarray(image.convert("RGB"))
            pillow = io.BytesIO()
            image.save(pillow, "PNG")
        with Image.open(out) as saved:
            assert np.array_equal(np.asarray(saved.convert("RGB")), pixels)
        assert out.stat().st_size < len(fast)
        assert out.stat().st_size <= len(pillow.getvalue())
        assert compressed_png(fast) == compressed_png(fast)  # deterministic


def test_a_png_that_is_not_rgb_is_saved_as_it_is(tmp_path):
    grey = io.BytesIO()
    Image.new("L", (64, 64), 90).save(grey, "PNG")
    assert compressed_png(grey.getvalue()) == grey.getvalue()


def test_our_own_pngs_are_recompressed_without_decoding_their_pixels(monkeypatch):
    from albumstudio.engines import design_png

    pixels = np.random.default_rng(5).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    fast = design_png.encode_png(pixels, 1)
    expected = design_png.encode_png(pixels, design_png.SAVE_LEVEL)

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(Image, "open", no_decoding)
    assert compressed_png(fast) == expected
    monkeypatch.undo()
    other = io.BytesIO()
    Image.fromarray(pixels).save(other, "PNG", compress_level=9)  # Pillow's own filters
    assert design_png.recompressed(other.getvalue()) is None
    assert compressed_png(other.getvalue()) == expected  # decoded, then written the same way
    assert design_png.recompressed(b"not a png") is None
