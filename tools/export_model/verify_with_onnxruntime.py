#!/usr/bin/env python3
"""Dev aid: run the exported EfficientNet-Lite0 ONNX model on images and print the top-5.

Optional dependencies (not needed by the exporter): onnxruntime, Pillow, numpy.

    python3 verify_with_onnxruntime.py --model DIR/efficientnet-lite0.onnx chelsea.png coffee.png
    python3 verify_with_onnxruntime.py --model M.onnx --labels imagenet_classes.txt img.jpg

Preprocessing matches the model card: RGB, central crop of 87.5 % of the short side,
bicubic resize to 224x224, (x - 127) / 128, NCHW float32.
--labels takes a text file with the 1000 ImageNet class names, one per line, in
class-index order; without it only the indices are printed (a few well-known ones are named).
"""

from __future__ import annotations

import argparse
import sys

# A handful of ImageNet-1k indices, enough to eyeball the standard test images.
_KNOWN = {
    281: "tabby",
    282: "tiger_cat",
    283: "Persian_cat",
    284: "Siamese_cat",
    285: "Egyptian_cat",
    287: "lynx",
    967: "espresso",
    968: "cup",
    504: "coffee_mug",
    925: "consomme",
}

IMAGE_SIZE = 224
CROP_FRACTION = 0.875


def preprocess(path, np, Image):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    crop = int(round(CROP_FRACTION * min(w, h)))
    left = (w - crop + 1) // 2
    top = (h - crop + 1) // 2
    img = img.crop((left, top, left + crop, top + crop))
    img = img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BICUBIC)
    x = np.asarray(img, dtype=np.float32)
    x = (x - 127.0) / 128.0
    return np.ascontiguousarray(x.transpose(2, 0, 1))  # HWC -> CHW


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="path to efficientnet-lite0.onnx")
    ap.add_argument("--labels", help="ImageNet class names, one per line (optional)")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("images", nargs="+")
    args = ap.parse_args(argv)
    try:
        import numpy as np
        import onnxruntime as ort
        from PIL import Image
    except ImportError as e:
        sys.stderr.write("error: %s (pip install onnxruntime pillow numpy)\n" % e)
        return 2

    labels = None
    if args.labels:
        with open(args.labels, encoding="utf-8") as fh:
            labels = [ln.strip() for ln in fh if ln.strip()]
        if len(labels) != 1000:
            sys.stderr.write("warning: %s has %d labels, expected 1000\n" % (args.labels, len(labels)))

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    try:
        batch = np.stack([preprocess(p, np, Image) for p in args.images])
    except OSError as e:
        sys.stderr.write("error: cannot read image: %s\n" % e)
        return 2
    features, logits = sess.run(["features", "logits"], {"input": batch})
    z = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    for path, p, f in zip(args.images, probs, features):
        print("%s  (features: dim %d, L2 norm %.3f)" % (path, f.shape[0], float(np.linalg.norm(f))))
        for i in np.argsort(-p, kind="stable")[: args.top]:
            name = labels[i] if labels and i < len(labels) else _KNOWN.get(int(i), "")
            print("  %4d  %.4f  %s" % (i, p[i], name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
