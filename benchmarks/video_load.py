"""How fast load_video reads clips, and that memory follows the frames kept.

Prints one JSON line per measurement (not a test: numbers depend on the machine).
    python benchmarks/video_load.py
Targets: the lecture-size clip (20 frames of 220 x 220) loads in 50 ms or less; reading 30
frames of a 783-frame 640 x 421 GIF costs memory for 30 frames, not 783.
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

import coursekit
from coursekit.video import load_video


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def lecture_clip():
    path = coursekit.DATA_DIR / "basketball.gif"
    load_video(path)  # warm up imports and caches
    seconds = best_of(10, lambda: load_video(path))
    print(json.dumps({"what": "load basketball.gif (20 x 3 x 220 x 220)",
                      "ms": round(seconds * 1000, 1), "target_ms": 50}))


def long_gif(folder: Path) -> Path:
    """A 783-frame 640 x 421 GIF (a bright block sweeping over noise): 633 MB once decoded."""
    generator = torch.Generator().manual_seed(0)
    noise = torch.randint(0, 64, (421, 640), generator=generator, dtype=torch.uint8)
    palette = [v for level in range(256) for v in (level, level, level)]
    frames = []
    for t in range(783):
        frame = noise.clone()
        frame[100:200, (t * 7) % 600 : (t * 7) % 600 + 40] = 255
        image = Image.fromarray(frame.numpy(), mode="P")
        image.putpalette(palette)
        frames.append(image)
    path = folder / "long.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=40, loop=0)
    return path


MEASURE = """
import sys
from pathlib import Path
from coursekit.video import load_video

def status(key):  # memory figures of this process, in MB
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(key))
    return int(line.split()[1]) / 1024

before = status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")  # Linux: restart the peak (VmHWM) from here
video = load_video(sys.argv[1], max_frames=None if sys.argv[2] == "all" else int(sys.argv[2]))
print(round(status("VmHWM") - before), round(video.nelement() * video.element_size() / 2**20))
"""


def memory_follows_frames_kept(path: Path):
    """Peak memory a load adds (in a fresh Python, imports excluded) vs the tensor it returns."""
    for max_frames in ("30", "all"):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", MEASURE, str(path), max_frames],
                             capture_output=True, text=True, check=True)
        added, result = map(int, out.stdout.split())
        print(json.dumps({"what": f"783-frame 640x421 GIF, max_frames={max_frames}",
                          "peak_mb_added": added, "result_mb": result,
                          "seconds": round(time.perf_counter() - start, 2)}))


if __name__ == "__main__":
    lecture_clip()
    with tempfile.TemporaryDirectory() as folder:
        memory_follows_frames_kept(long_gif(Path(folder)))
