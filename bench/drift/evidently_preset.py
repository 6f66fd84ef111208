"""Evidently's data-drift preset on the same files (pandas read included in the timing)."""
import sys
import time

import pandas as pd

t0 = time.perf_counter()
b = pd.read_csv(sys.argv[1])
t = pd.read_csv(sys.argv[2])
t1 = time.perf_counter()
try:  # Evidently >= 0.7
    from evidently import Report
    from evidently.presets import DataDriftPreset

    result = Report([DataDriftPreset()]).run(reference_data=b, current_data=t)
    result.dict()
except ImportError:  # Evidently < 0.7
    from evidently.metric_preset import DataDriftPreset
    from evidently.report import Report

    report = Report(metrics=[DataDriftPreset()])
    report.run(reference_data=b, current_data=t)
    report.as_dict()
t2 = time.perf_counter()
print(f"evidently: read {t1 - t0:.2f} s, preset {t2 - t1:.2f} s")
