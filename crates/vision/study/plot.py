import sys
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = []
for f in ("r0.txt", "r1.txt", "r2.txt"):
    for line in open(f):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 6:
            rows.append((parts[0], parts[1], int(parts[2]), int(parts[3]), float(parts[4]), float(parts[5])))
colours = {"lite0": "tab:blue", "lite1": "tab:orange", "lite2": "tab:green"}
markers = {}
fig, ax = plt.subplots(figsize=(9, 6))
for name, label, dim, views, acc, ms in rows:
    key = label.split(",")[0] if "stage" not in label else "multi-stage"
    m = "o" if label == "last layer (today)" else ("s" if "stage" in label else ("^" if "TTA" in label else "x"))
    ax.scatter(ms, acc * 100, c=colours[name], marker=m, s=60)
    ax.annotate(label.replace("last layer (today)", "today").replace("last + ", "+").replace("last, ", ""),
                (ms, acc * 100), fontsize=7, xytext=(4, 2), textcoords="offset points")
for n, c in colours.items():
    ax.scatter([], [], c=c, label="EfficientNet-" + n.capitalize())
ax.set_xscale("log")
ax.set_xlabel("backbone ms/img (ONNX Runtime, 2 threads, batch 16; loaded shared machine)")
ax.set_ylabel("5-fold CV accuracy, TrashNet-dev 480 photos (%)")
ax.set_title("Linear head: accuracy against cost (o today, s multi-stage, ^ TTA, x other)")
ax.axhline(rows[0][4] * 100, color="grey", lw=0.5, ls="--")
ax.legend(loc="lower right"); ax.grid(alpha=0.3)
fig.tight_layout(); fig.savefig(sys.argv[1], dpi=110)
for r in rows: print("| %s | %s | %d | %d | %.1f %% | %.1f |" % (r[0], r[1], r[2], r[3], r[4]*100, r[5]))
