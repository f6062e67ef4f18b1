"""Videos as tensors: read clips from files into (T, C, H, W) tensors, and write them back.

A frame is an image, a (C, H, W) tensor; a clip of T frames is a (T, C, H, W) tensor of
float32 values in [0, 1], with C = 3 (RGB). ``load_video`` reads:

- animated GIF, APNG and WebP files, and single images, with Pillow. Frames are composited the
  way a viewer shows them; an APNG's default image that is not part of the animation (a poster
  frame) is skipped, as browsers and ffmpeg skip it. A still image is turned upright by its EXIF
  orientation, as a photo viewer does.
- video files such as MP4, MOV, AVI, WebM and MKV, with PyAV (FFmpeg). Frames are turned upright
  by the rotation a phone stores in the file (the display matrix), so a clip filmed upright loads
  upright, with the H and W a player shows. YUV is converted to RGB with accurate rounding and
  interpolated chroma, which is closer to the source than FFmpeg's fast default.
- folders of numbered image files (``frame_2.png`` before ``frame_10.png``), each turned upright
  by its EXIF orientation.

16-bit grey images (Pillow modes "I;16", "I;16B", "I") are scaled so that 65535 is 1.0; 16-bit
colour PNGs are read by Pillow at 8 bits per channel. A file cut short (an interrupted download
or copy) gives the frames that decoded and a warning, or, when nothing decodes, a "damaged file"
error. Before decoding, ``load_video`` estimates the tensor's size and raises
``VideoTooLargeError`` if it would exceed ``max_bytes`` (by default a quarter of the machine's
memory). ``save_gif`` writes a clip as a looping GIF.

Modules: ``load`` (load_video, its options and the memory bound), ``pillow`` (images and
animations), ``pyav`` (video files), ``folders`` (folders of frames), ``formats`` (the file
suffixes, and what a reader returns), ``write`` (to_uint8, save_gif).
"""

from .folders import natural_key
from .formats import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from .load import VideoTooLargeError, load_video
from .write import save_gif, to_uint8

__all__ = ["IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "VideoTooLargeError", "load_video",
           "natural_key", "save_gif", "to_uint8"]
