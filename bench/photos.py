"""Photo intake speed: a 12-megapixel phone JPEG checked, thumbnailed and stored.

Target (issue: maintenance records): under 0.5 s and under 150 MB peak memory per photo.
The floor, measured in the same run, is Pillow alone decoding the same file (`Image.open().load()`),
the least any check by content must do. Each measurement runs in a fresh subprocess so that its
peak resident memory (ru_maxrss) is its own.

Run: .venv/bin/python -m bench.photos
"""

from __future__ import annotations

import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 10


def make_photo(path: Path) -> None:
    from PIL import Image, ImageChops, ImageDraw

    image = Image.new("RGB", (4000, 3000), (90, 140, 70))
    draw = ImageDraw.Draw(image)
    for i in range(0, 4000, 37):
        draw.line([(i, 0), (4000 - i, 3000)], fill=(i % 255, (i * 7) % 255, (i * 13) % 255), width=3)
    grain = Image.effect_noise((4000, 3000), 24).convert("RGB")  # sensor grain: phone-sized file
    image = ImageChops.add(image, grain, scale=1.6, offset=-60)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:06:01 09:30:00"
    image.save(path, "JPEG", quality=92, exif=exif)


def measure(kind: str, photo: Path, media: Path) -> dict:
    """Runs in a subprocess: time ROUNDS runs of `kind` and report peak RSS."""
    from PIL import Image

    data = photo.read_bytes()
    timings = []
    if kind == "floor":
        Image.open(io.BytesIO(data)).load()  # warm-up, as for the intake
        for _ in range(ROUNDS):
            start = time.perf_counter()
            Image.open(io.BytesIO(data)).load()
            timings.append(time.perf_counter() - start)
    else:
        from models.photos import inspect_photo
        from models.storage import LocalStorage

        storage = LocalStorage(media)
        inspect_photo(data)  # warm-up: first-use imports inside the libraries are not per-photo cost
        for round_ in range(ROUNDS):
            start = time.perf_counter()
            facts = inspect_photo(data + bytes([round_]))  # new bytes each round: no dedupe shortcut
            storage.put(data + bytes([round_]), ".jpg")
            storage.put(facts.thumbnail, ".jpg")
            storage.put(facts.public_copy, ".jpg")
            timings.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"median_s": statistics.median(timings), "max_s": max(timings), "peak_mb": peak_mb}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "phone.jpg"
        # Made in its own process: Linux carries a parent's peak RSS over fork+exec into ru_maxrss.
        subprocess.run([sys.executable, "-m", "bench.photos", "--make", str(photo)], check=True)
        size_mb = photo.stat().st_size / 1024 / 1024
        results = {}
        for kind in ("floor", "intake"):
            output = subprocess.run(
                [sys.executable, "-m", "bench.photos", "--measure", kind, str(photo), str(Path(tmp) / "media")],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            results[kind] = json.loads(output)
    floor, intake = results["floor"], results["intake"]
    print(f"12-megapixel JPEG (4000x3000, {size_mb:.1f} MB), {ROUNDS} rounds after one warm-up, fresh process each")
    print(f"{'':32}{'median s':>10}{'max s':>10}{'peak MB':>10}")
    print(f"{'floor: Pillow decode only':32}{floor['median_s']:>10.3f}{floor['max_s']:>10.3f}{floor['peak_mb']:>10.0f}")
    print(
        f"{'intake: check+thumb+copy+store':32}{intake['median_s']:>10.3f}{intake['max_s']:>10.3f}"
        f"{intake['peak_mb']:>10.0f}"
    )
    print(
        f"intake / floor time: {intake['median_s'] / floor['median_s']:.1f}x; "
        f"target max < 0.5 s: {'met' if intake['max_s'] < 0.5 else 'NOT met'}; "
        f"target peak < 150 MB: {'met' if intake['peak_mb'] < 150 else 'NOT met'}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--make":
        make_photo(Path(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
    else:
        main()
