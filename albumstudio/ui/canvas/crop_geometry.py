"""Square-crop edits in image pixels: move, zoom about a point, resize from a corner.

Pure arithmetic on :class:`CropBox` (no Qt); results are kept inside a ``width`` × ``height``
image and never smaller than ``min_side`` (or the image's short side, if that is smaller).
"""

from __future__ import annotations

from albumstudio.core.cover import CropBox

CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def _side_limits(width: int, height: int, min_side: int) -> tuple[int, int]:
    largest = max(1, min(width, height))
    return min(max(1, min_side), largest), largest


def keep_inside(crop: CropBox, width: int, height: int, min_side: int = 1) -> CropBox:
    """The same crop shrunk and shifted as little as possible to fit the image."""
    smallest, largest = _side_limits(width, height, min_side)
    side = min(max(int(round(crop.size)), smallest), largest)
    left = min(max(int(round(crop.left)), 0), width - side)
    top = min(max(int(round(crop.top)), 0), height - side)
    return CropBox(left, top, side)


def moved(crop: CropBox, dx: float, dy: float, width: int, height: int) -> CropBox:
    return keep_inside(CropBox(round(crop.left + dx), round(crop.top + dy), crop.size),
                       width, height, crop.size)


def centred_on(crop: CropBox, x: float, y: float, width: int, height: int) -> CropBox:
    half = crop.size / 2
    return keep_inside(CropBox(round(x - half), round(y - half), crop.size), width, height,
                       crop.size)


def zoomed(crop: CropBox, factor: float, x: float, y: float, width: int, height: int,
           min_side: int = 1) -> CropBox:
    """Scale the crop's side by ``factor`` keeping image point (x, y) where it is in the crop.

    A point outside the crop zooms about the crop's centre instead.
    """
    smallest, largest = _side_limits(width, height, min_side)
    side = min(max(int(round(crop.size * factor)), smallest), largest)
    inside = crop.left <= x <= crop.left + crop.size and crop.top <= y <= crop.top + crop.size
    if not inside:
        x, y = crop.left + crop.size / 2, crop.top + crop.size / 2
    rel_x = (x - crop.left) / crop.size
    rel_y = (y - crop.top) / crop.size
    return keep_inside(CropBox(round(x - rel_x * side), round(y - rel_y * side), side),
                       width, height, smallest)


def resized_from_corner(crop: CropBox, corner: str, x: float, y: float, width: int,
                        height: int, min_side: int = 1) -> CropBox:
    """Drag ``corner`` to image point (x, y); the opposite corner stays put."""
    east = corner.endswith("right")
    south = corner.startswith("bottom")
    anchor_x = crop.left if east else crop.left + crop.size
    anchor_y = crop.top if south else crop.top + crop.size
    reach = max((x - anchor_x) if east else (anchor_x - x),
                (y - anchor_y) if south else (anchor_y - y))
    room = min(width - anchor_x if east else anchor_x, height - anchor_y if south else anchor_y)
    smallest, _ = _side_limits(width, height, min_side)
    side = int(round(min(max(reach, smallest), max(room, smallest))))
    left = anchor_x if east else anchor_x - side
    top = anchor_y if south else anchor_y - side
    return keep_inside(CropBox(left, top, side), width, height, smallest)
