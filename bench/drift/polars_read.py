"""The reading anchor: polars (multi-threaded, Arrow-native) reads a CSV or Parquet file into a
DataFrame, as `modelreg`'s read-only pass reads it into batches."""
import sys
import time

import polars as pl

t0 = time.perf_counter()
path = sys.argv[1]
df = pl.read_parquet(path) if path.endswith(".parquet") else pl.read_csv(path)
print(f"polars: {df.height} rows x {df.width} columns in {time.perf_counter() - t0:.2f} s")
