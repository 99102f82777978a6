"""5-fold stratified CV (seed 0) on TrashNet-dev: accuracy of a multinomial
logistic regression (z-scored features, C by 3-fold inner CV on the training folds)
for feature variants. Nothing is tuned on the fold being scored."""
import os, sys, json, numpy as np, warnings
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, GridSearchCV
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
warnings.filterwarnings("ignore")
CS = [1e-3, 1e-2, 1e-1, 1.0]

def head(kind="z"):
    steps = []
    if kind in ("z", "zpca"): steps.append(StandardScaler())
    if kind == "zpca": steps.append(PCA(n_components=256, whiten=True, random_state=0))
    steps.append(LogisticRegression(max_iter=2000))
    pipe = make_pipeline(*steps)
    return GridSearchCV(pipe, {"logisticregression__C": CS}, cv=StratifiedKFold(3, shuffle=True, random_state=1))

def cv(get, y, kind="z", aug=False, tta=None):
    """get(view) -> feature matrix. aug: add flipped rows to training. tta: list of views averaged at test."""
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    correct = 0
    for tr, te in skf.split(np.zeros(len(y)), y):
        Xtr = get("centre")[tr]; ytr = y[tr]
        if aug:
            Xtr = np.vstack([Xtr, get("flip")[tr]]); ytr = np.concatenate([ytr, ytr])
        m = head(kind).fit(Xtr, ytr)
        if tta:
            p = np.mean([m.predict_proba(get(v)[te]) for v in tta], axis=0)
        else:
            p = m.predict_proba(get("centre")[te])
        correct += (p.argmax(1) == y[te]).sum()
    return correct / len(y)

rows = []
for name in [a for a in sys.argv[1:] if not a.startswith("--")]:
    d = np.load(f"feat-{name}.npz")
    y = d["labels"]
    def F(parts):
        return lambda v: np.hstack([d[f"{v}__{p}"] for p in parts])
    last = ["features"]
    configs = [
        ("last layer (today)", last, "z", False, None),
        ("last layer, z + PCA-256 whitening", last, "zpca", False, None),
        ("last + stage 6", last + ["stage6_pooled"], "z", False, None),
        ("last + stages 5-6", last + ["stage5_pooled", "stage6_pooled"], "z", False, None),
        ("last + stages 4-6", last + ["stage4_pooled", "stage5_pooled", "stage6_pooled"], "z", False, None),
        ("last + stages 3-6", last + ["stage%d_pooled" % i for i in range(3, 7)], "z", False, None),
        ("last, flip TTA", last, "z", False, ["centre", "flip"]),
        ("last, flip train-aug + TTA", last, "z", True, ["centre", "flip"]),
        ("last, 5 crops + flip TTA", last, "z", True, ["centre", "flip", "tl", "tr", "bl", "br"]),
        ("last + stages 5-6, flip aug + TTA", last + ["stage5_pooled", "stage6_pooled"], "z", True, ["centre", "flip"]),
        ("last layer, no z-score", last, "raw", False, None),
    ]
    if len(sys.argv) > 2 and sys.argv[-1].startswith("--skip"):
        configs = configs[int(sys.argv[-1].split("=")[1]):]
    if os.environ.get("CONFIGS"):
        configs = [configs[int(i)] for i in os.environ["CONFIGS"].split(",")]
    for label, parts, kind, aug, tta in configs:
        acc = cv(F(parts), y, kind, aug, tta)
        views = len(tta) if tta else 1
        dim = F(parts)("centre").shape[1]
        rows.append((name, label, dim, views, acc, float(d["ms16"]) * views))
        print("%s | %s | %d | %d | %.3f | %.1f" % rows[-1], flush=True)
json.dump(rows, open("results-%s.json" % sys.argv[1], "w"))
