"""The peer baseline: read both CSVs with pandas, then a plain scipy loop over the columns
(ks_2samp + wasserstein_distance for numerical, chi2_contingency + jensenshannon for categorical)."""
import sys
import time

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance

t0 = time.perf_counter()
b = pd.read_csv(sys.argv[1])
t = pd.read_csv(sys.argv[2])
t1 = time.perf_counter()
drifted = []
for col in b.columns:
    if b[col].dtype.kind == "f":
        x, y = b[col].dropna().to_numpy(), t[col].dropna().to_numpy()
        ks_2samp(x, y)
        if wasserstein_distance(x, y) / max(np.std(x), 1e-3) > 0.1:
            drifted.append(col)
    else:
        cats = sorted(set(b[col].unique()) | set(t[col].unique()))
        vb = b[col].value_counts().reindex(cats, fill_value=0).to_numpy()
        vt = t[col].value_counts().reindex(cats, fill_value=0).to_numpy()
        chi2_contingency(np.array([vb, vt]), correction=False)
        if jensenshannon(vb, vt, base=2) > 0.1:
            drifted.append(col)
t2 = time.perf_counter()
print(f"scipy: read {t1 - t0:.2f} s, metrics {t2 - t1:.2f} s, drifted={drifted}")
