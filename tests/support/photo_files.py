"""Real image files for tests, made with Pillow: JPEGs with EXIF capture time and GPS, and worse."""

from __future__ import annotations

import io
import random

from PIL import Image

EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def scene(seed: int = 1, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A picture with structure (so perceptual hashes differ between seeds)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    pixels = image.load()
    for _ in range(40):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        for x in range(x0, min(size[0], x0 + rng.randrange(40, 300))):
            for y in range(y0, min(size[1], y0 + 30)):
                pixels[x, y] = color
    return image


def jpeg(
    seed: int = 1,
    taken: str | None = "2026:06:01 09:30:00",
    gps: tuple[float, float] | None = (21.95, 108.62),
    size: tuple[int, int] = (800, 600),
    orientation: int | None = None,
    quality: int = 90,
) -> bytes:
    image = scene(seed, size)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(EXIF_IFD)[0x9003] = taken
    if gps:
        exif.get_ifd(GPS_IFD).update(
            {
                1: "N",
                2: _dms(gps[0]),
                3: "E",
                4: _dms(gps[1]),
            }
        )
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def bomb_png() -> bytes:
    """A small file that claims 64 million pixels."""
    return encoded(Image.new("1", (8000, 8000)), "PNG")
