#!/usr/bin/python3
"""Test images for the PDQ tests, made at test time with Pillow (Debian's python3-pil).

usage: make_images.py OUT_DIR SOURCE_IMAGE...

For every source image S (stem N) it writes, into OUT_DIR:
  N__jpeg70.jpg   resized to 60 % and re-encoded as JPEG quality 70
  N__png.png      resized to 80 %, PNG
  N__webp.webp    resized to 70 %, lossy WebP quality 80
  N__gif.gif      resized to 90 %, GIF (256-colour palette)
  N__bmp.bmp      resized to 50 %, 24-bit BMP
  N__bmp8.bmp     8-bit palette BMP, full size
  N__rot90.png N__rot180.png N__rot270.png N__flipx.png N__flipy.png N__flipp.png N__flipm.png
                  the picture turned and mirrored (flipx = upside down, flipy = left-right,
                  flipp = transposed, flipm = anti-transposed), lossless
"""
import os
import sys

from PIL import Image

TRANSFORMS = {
    "rot90": Image.Transpose.ROTATE_90,      # anticlockwise
    "rot180": Image.Transpose.ROTATE_180,
    "rot270": Image.Transpose.ROTATE_270,
    "flipx": Image.Transpose.FLIP_TOP_BOTTOM,
    "flipy": Image.Transpose.FLIP_LEFT_RIGHT,
    "flipp": Image.Transpose.TRANSPOSE,
    "flipm": Image.Transpose.TRANSVERSE,
}


def scaled(im, f):
    return im.resize((max(1, round(im.width * f)), max(1, round(im.height * f))), Image.Resampling.LANCZOS)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for src in sys.argv[2:]:
        stem = os.path.splitext(os.path.basename(src))[0]
        im = Image.open(src).convert("RGB")
        p = lambda suffix: os.path.join(out, stem + "__" + suffix)
        scaled(im, 0.6).save(p("jpeg70.jpg"), quality=70)
        scaled(im, 0.8).save(p("png.png"), compress_level=1)
        scaled(im, 0.7).save(p("webp.webp"), quality=80)
        scaled(im, 0.9).convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(p("gif.gif"))
        scaled(im, 0.5).save(p("bmp.bmp"))
        im.convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(p("bmp8.bmp"))
        for name, t in TRANSFORMS.items():
            im.transpose(t).save(p(name + ".png"), compress_level=1)


if __name__ == "__main__":
    main()
