"""Extract pooled features (last layer + each stage) for every TrashNet-dev photo,
six views each: centre crop, its flip, and four corner crops. Saves npz per backbone."""
import sys, glob, os, time, json
import numpy as np, onnxruntime as ort
from PIL import Image

ROOT = "/work/shared/datasets/trashnet-dev"
classes = sorted(d for d in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, d)))
files, labels = [], []
for i, c in enumerate(classes):
    fs = sorted(glob.glob(os.path.join(ROOT, c, "*.jpg")))
    files += fs; labels += [i] * len(fs)

def views(path, side, frac):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    crop = frac * min(w, h)
    boxes = {"centre": ((w - crop) / 2, (h - crop) / 2)}
    boxes.update({"tl": (0, 0), "tr": (w - crop, 0), "bl": (0, h - crop), "br": (w - crop, h - crop)})
    out = {}
    for k, (l, t) in boxes.items():
        im = img.resize((side, side), Image.BICUBIC, box=(l, t, l + crop, t + crop))
        out[k] = im
    out["flip"] = out["centre"].transpose(Image.FLIP_LEFT_RIGHT)
    return {k: ((np.asarray(v, np.float32) - 127) / 128).transpose(2, 0, 1) for k, v in out.items()}

name = sys.argv[1]
model = f"models/efficientnet-{name}.stages.onnx"
card = json.load(open(f"models/efficientnet-{name}.stages.card.json"))
side = card["input_shape"][2]; frac = card["crop_fraction"]
so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
outs = [o.name for o in sess.get_outputs() if o.name != "logits"]
V = ["centre", "flip", "tl", "tr", "bl", "br"]
pre = [views(f, side, frac) for f in files]
feats = {(v, o): [] for v in V for o in outs}
for v in V:
    for s in range(0, len(files), 16):
        x = np.stack([p[v] for p in pre[s:s + 16]])
        r = sess.run(outs, {"input": x})
        for o, a in zip(outs, r):
            feats[(v, o)].append(a)
# timing: centre view, batch 16 and batch 1, 2 threads
x = np.stack([p["centre"] for p in pre[:16]])
sess.run(["features"], {"input": x})
t = time.perf_counter(); n = 0
while time.perf_counter() - t < 8:
    sess.run(["features"], {"input": x}); n += 16
ms16 = (time.perf_counter() - t) / n * 1000
t = time.perf_counter(); n = 0
while time.perf_counter() - t < 4:
    sess.run(["features"], {"input": x[:1]}); n += 1
ms1 = (time.perf_counter() - t) / n * 1000
np.savez(f"feat-{name}.npz", labels=np.array(labels), classes=np.array(classes),
         ms16=ms16, ms1=ms1, load=os.getloadavg()[0],
         **{f"{v}__{o}": np.concatenate(feats[(v, o)]) for v in V for o in outs})
print(name, side, frac, "ms/img b16 %.2f b1 %.2f load %.1f" % (ms16, ms1, os.getloadavg()[0]))
