#!/usr/bin/env python3
"""Post-training int8 quantization of the exported EfficientNet-Lite0 ONNX model.

    python3 quantize_int8.py --model DIR/efficientnet-lite0.onnx --calibration DIR_OF_PHOTOS \
        --out DIR/efficientnet-lite0-int8.onnx

Static quantization through onnxruntime.quantization: QDQ format, int8 weights per
output channel, uint8 activations with MinMax ranges calibrated on the given photos
(preprocessed exactly like the model card says). The inputs and outputs stay float32
with the same names and shapes, so the int8 file is a drop-in backbone. It is a
different backbone for the classifier heads, though: a head is bound to the sha256
of the backbone it was trained on. Progress goes to stderr; bad input exits with
code 2 and a one-line message. Needs onnxruntime, onnx, numpy, Pillow and sympy
(the exporter itself does not, so they are not in requirements.txt).

This is an experiment, not part of setup: on CPUs without AVX-512 VNNI the int8
features drift too far from float32 for the fill heads (crates/ingest/BENCHMARKS-ingest.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys

from verify_with_onnxruntime import preprocess

EXTENSIONS = (".png", ".jpg", ".jpeg")


def log(msg: str) -> None:
    print(f"[quantize] {msg}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="the float32 efficientnet-lite0.onnx")
    ap.add_argument("--calibration", required=True, help="folder of RGB photos (png/jpg)")
    ap.add_argument("--out", required=True, help="where to write the int8 model")
    args = ap.parse_args(argv)

    if not os.path.isfile(args.model):
        print(f"error: --model {args.model}: file not found; run the exporter first", file=sys.stderr)
        return 2
    photos = sorted(
        os.path.join(args.calibration, f)
        for f in (os.listdir(args.calibration) if os.path.isdir(args.calibration) else [])
        if f.lower().endswith(EXTENSIONS)
    )
    if len(photos) < 2:
        print(f"error: --calibration {args.calibration}: needs at least 2 png/jpg photos", file=sys.stderr)
        return 2

    import numpy as np
    from PIL import Image
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Photos(CalibrationDataReader):
        def __init__(self) -> None:
            self.todo = list(photos)

        def get_next(self):
            if not self.todo:
                return None
            path = self.todo.pop(0)
            log(f"calibrating on {os.path.basename(path)}")
            return {"input": preprocess(path, np, Image)[None, ...]}

    tmp = args.out + ".pre.onnx"
    log("shape inference and graph clean-up")
    quant_pre_process(args.model, tmp)
    try:
        quantize_static(
            tmp,
            args.out + ".tmp",
            Photos(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            # 7-bit weights: without AVX-512 VNNI, ONNX Runtime's u8×s8 kernels
            # saturate 16-bit sums on full-range weights (features drift to a
            # cosine of ~0.87 against float32 instead of ~0.95).
            reduce_range=True,
        )
    finally:
        os.remove(tmp)
    os.replace(args.out + ".tmp", args.out)
    digest = hashlib.sha256(open(args.out, "rb").read()).hexdigest()
    log(f"wrote {args.out} ({os.path.getsize(args.out)} bytes, sha256 {digest}) from {len(photos)} photos")
    return 0


if __name__ == "__main__":
    sys.exit(main())
