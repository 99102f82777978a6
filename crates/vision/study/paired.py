import numpy as np, warnings, sys
from scipy.stats import binomtest
sys.argv = ["x"]; exec(open("evalfeat.py").read().split("rows = []")[0])
def oof(d, parts):
    y = d["labels"]; X = np.hstack([d["centre__" + p] for p in parts])
    ok = np.zeros(len(y), bool)
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(X, y):
        ok[te] = head("z").fit(X[tr], y[tr]).predict(X[te]) == y[te]
    return ok
a = oof(np.load("feat-lite0.npz"), ["features"])
b = oof(np.load("feat-lite1.npz"), ["features", "stage4_pooled", "stage5_pooled", "stage6_pooled"])
only_b, only_a = int((b & ~a).sum()), int((a & ~b).sum())
print("lite0 today %.3f, lite1+stages4-6 %.3f; right only in lite1+st: %d, only in lite0: %d; McNemar exact p = %.3f"
      % (a.mean(), b.mean(), only_b, only_a, binomtest(only_b, only_b + only_a).pvalue))
