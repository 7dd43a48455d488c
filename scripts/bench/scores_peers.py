"""Peers for the scores benchmark: scikit-learn logistic regression and LightGBM on exactly
the features and held-out split `tusk bench scores --export DIR` wrote.

    python scores_peers.py DIR
Prints one markdown table row per model: peer, AUC, log loss, training seconds.
"""
import json
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler
import lightgbm as lgb

d = sys.argv[1]
meta = json.load(open(f"{d}/meta.json"))
cols = meta["cols"]


def load(name, rows):
    x = np.fromfile(f"{d}/{name}_x.f64", dtype="<f8").reshape(cols, rows).T.copy()
    y = np.fromfile(f"{d}/{name}_y.f64", dtype="<f8")
    return x, y


xtr, ytr = load("train", meta["train_rows"])
xte, yte = load("test", meta["test_rows"])
out = []

# Logistic regression, L2, on standardised features; Tusk's lambda is per unit of weight,
# scikit-learn's C is 1 / (lambda * n).
t = time.time()
sc = StandardScaler().fit(xtr)
lr = LogisticRegression(C=1.0 / (meta["lambda"] * len(ytr)), max_iter=1000)
lr.fit(sc.transform(xtr), ytr)
secs = time.time() - t
p = lr.predict_proba(sc.transform(xte))[:, 1]
out.append({"peer": "scikit-learn LogisticRegression (lbfgs)", "auc": roc_auc_score(yte, p),
            "log_loss": log_loss(yte, p), "train_seconds": secs})

g = meta["gbt"]
params = {
    "objective": "binary", "learning_rate": g["learning_rate"], "max_depth": g["max_depth"],
    "num_leaves": 2 ** g["max_depth"], "min_sum_hessian_in_leaf": g["min_leaf_weight"],
    "lambda_l2": g["l2"], "max_bin": g["bins"], "num_threads": 2, "verbose": -1, "seed": 1,
}
t = time.time()
booster = lgb.train(params, lgb.Dataset(xtr, ytr), num_boost_round=g["iterations"])
secs = time.time() - t
p = booster.predict(xte)
out.append({"peer": f"LightGBM {lgb.__version__} ({g['iterations']} rounds, depth {g['max_depth']})",
            "auc": roc_auc_score(yte, p), "log_loss": log_loss(yte, p), "train_seconds": secs})
# LightGBM with its own defaults (31 leaves, no depth limit), for reference.
t = time.time()
booster = lgb.train({"objective": "binary", "num_threads": 2, "verbose": -1, "seed": 1},
                    lgb.Dataset(xtr, ytr), num_boost_round=g["iterations"])
secs = time.time() - t
p = booster.predict(xte)
out.append({"peer": f"LightGBM {lgb.__version__} defaults ({g['iterations']} rounds)",
            "auc": roc_auc_score(yte, p), "log_loss": log_loss(yte, p), "train_seconds": secs})
for o in out:
    print(f"| {o['peer']} | {o['auc']:.4f} | {o['log_loss']:.4f} | {o['train_seconds']:.2f} |")
