#!/usr/bin/env python3
"""Compare the features of two backbones (e.g. float32 and int8) on the same photos.

    python3 compare_features.py --reference DIR/efficientnet-lite0.onnx \
        --candidate DIR/efficientnet-lite0-int8.onnx --photos ../shared/datasets/trashnet-dev --limit 60

For each photo it runs both models (preprocessed as the model card says) and
prints the cosine similarity of their `features` outputs: mean, min and the
5th percentile, plus each model's throughput in images/s (one image per run,
intra-op threads as given). This is the command behind the int8 rows of
crates/ingest/BENCHMARKS-ingest.md. Photos are the first `--limit` of a
round-robin over the sub-folders in sorted order (TrashNet keeps one folder
per class), so every class is represented. Bad input exits with code 2 and a
one-line message. Needs onnxruntime, numpy and Pillow.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from verify_with_onnxruntime import preprocess

EXTENSIONS = (".png", ".jpg", ".jpeg")


def photos_in(root: str, limit: int) -> list[str]:
    """Round-robin over the sub-folders (or the folder itself), sorted."""
    folders = sorted(
        os.path.join(root, d) for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))
    ) or [root]
    lists = [
        sorted(os.path.join(f, x) for x in os.listdir(f) if x.lower().endswith(EXTENSIONS))
        for f in folders
    ]
    out: list[str] = []
    i = 0
    while len(out) < limit and any(i < len(l) for l in lists):
        out.extend(l[i] for l in lists if i < len(l))
        i += 1
    return out[:limit]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", required=True, help="the float32 model")
    ap.add_argument("--candidate", required=True, help="the model compared with it")
    ap.add_argument("--photos", required=True, help="folder of photos (one level of sub-folders allowed)")
    ap.add_argument("--limit", type=int, default=60)
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads per model")
    args = ap.parse_args(argv)
    for flag, path in (("--reference", args.reference), ("--candidate", args.candidate)):
        if not os.path.isfile(path):
            print(f"error: {flag} {path}: file not found", file=sys.stderr)
            return 2
    if not os.path.isdir(args.photos):
        print(f"error: --photos {args.photos}: not a folder", file=sys.stderr)
        return 2
    if args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    paths = photos_in(args.photos, args.limit)
    if not paths:
        print(f"error: --photos {args.photos}: no png/jpg photos found", file=sys.stderr)
        return 2

    import numpy as np
    import onnxruntime as ort
    from PIL import Image

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    sessions = [
        ort.InferenceSession(p, opts, providers=["CPUExecutionProvider"])
        for p in (args.reference, args.candidate)
    ]
    inputs = [preprocess(p, np, Image)[None, ...] for p in paths]
    feats = []
    for name, s in zip(("reference", "candidate"), sessions):
        s.run(["features"], {"input": inputs[0]})  # warm-up
        t = time.perf_counter()
        f = np.concatenate([s.run(["features"], {"input": x})[0] for x in inputs])
        rate = len(inputs) / (time.perf_counter() - t)
        print(f"{name}: {rate:.1f} img/s ({args.threads} thread(s), batch 1)", file=sys.stderr)
        feats.append(f)
    a, b = feats
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    print(f"photos,{len(paths)}")
    print(f"cosine_mean,{cos.mean():.4f}")
    print(f"cosine_p5,{np.percentile(cos, 5):.4f}")
    print(f"cosine_min,{cos.min():.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
