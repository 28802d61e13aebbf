"""pyarrow's side of `npm run bench:files` (bench/files.ts): the same three jobs on the same
files, timed inside Python (interpreter start and imports excluded), single-threaded and
with pyarrow's thread pool. pyarrow decodes into Arrow columns, not one object per row, so
its figures are a reference for the formats' cost in C++, not a like-for-like loop.

Usage: python files-pyarrow.py CSV PARQUET OUT_DIR REPEATS  ->  one JSON object on stdout.
"""
import json
import os
import sys
import time

import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def main():
    csv_path, parquet_path, out_dir, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    results = {}
    for threads in (False, True):
        suffix = "threads" if threads else "1thread"
        read_csv = lambda: pacsv.read_csv(csv_path, read_options=pacsv.ReadOptions(use_threads=threads))
        rows = read_csv().num_rows
        results["csvRead_" + suffix] = {"seconds": median_seconds(read_csv, repeats), "rows": rows}
        read_parquet = lambda: pq.read_table(parquet_path, use_threads=threads)
        results["parquetRead_" + suffix] = {"seconds": median_seconds(read_parquet, repeats), "rows": read_parquet().num_rows}
    # The table to write is decoded before the clock starts: only encoding and writing are timed.
    table = pq.read_table(parquet_path)
    out = os.path.join(out_dir, "pyarrow-out.parquet")
    write = lambda: pq.write_table(table, out, row_group_size=100_000, compression="snappy")
    results["parquetWrite_1thread"] = {"seconds": median_seconds(write, repeats), "rows": table.num_rows}
    print(json.dumps(results))


main()
