import numpy as np
import pytest

from albumstudio.vision.ade20k import ADE20K_PALETTE, colorize


def test_the_palette_is_the_standard_one():
    assert ADE20K_PALETTE.shape == (150, 3) and ADE20K_PALETTE.dtype == np.uint8
    assert ADE20K_PALETTE[0].tolist() == [120, 120, 120]  # wall
    assert ADE20K_PALETTE[2].tolist() == [6, 230, 230]  # sky
    assert ADE20K_PALETTE[4].tolist() == [4, 200, 3]  # tree
    assert ADE20K_PALETTE[149].tolist() == [92, 0, 255]
    assert int(ADE20K_PALETTE.astype(np.int64).sum()) == 58_427  # checksum of the list as published
    assert not ADE20K_PALETTE.flags.writeable


def test_colorize_maps_each_label_to_its_colour():
    labels = np.array([[0, 1, 2], [149, 3, 0]], dtype=np.uint8)
    out = np.asarray(colorize(labels))
    assert out.shape == (2, 3, 3)
    assert np.array_equal(out, ADE20K_PALETTE[labels])
    assert colorize(labels.astype(np.int64)).mode == "RGB"


@pytest.mark.parametrize("labels", [np.array([[150]]), np.array([[-1]]), np.zeros(4, int),
                                    np.zeros((2, 2), np.float32), np.zeros((0, 3), int)])
def test_colorize_refuses_labels_outside_ade20k(labels):
    with pytest.raises(ValueError):
        colorize(labels)
