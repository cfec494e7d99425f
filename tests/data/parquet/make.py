"""Writes the Parquet fixtures as other tools write them (polars' default zstd, pyarrow's
brotli and gzip), and a small file of repeated rows that decodes to far more than it weighs.

    pip install polars pyarrow && python3 tests/data/parquet/make.py

Hand-written rows, independent of the synthetic world's generator.
"""
import os
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

here = os.path.dirname(os.path.abspath(__file__))
incidents = pl.DataFrame({
    "force": ["Kent", "Essex", "Kent"],
    "incident_ref": ["K-1", "K-8", "K-8"],
    "recorded_date": ["2023-05-01", "2023-05-02", "2023-05-03"],
    "offence_code": ["8L", "8Q", "8L"],
})
people = pl.DataFrame({
    "record_id": ["P1", "P2", "P3"],
    "force": ["Kent", "Essex", "Kent"],
    "incident_ref": ["K-1", "K-8", "K-8"],
    "role": ["victim", "victim", "suspect"],
    "forename": ["Harriet", "Ann", "Tom"],
    "surname": ["Okonkwo-Lund", "Lee", "Ray"],
    "date_of_birth": ["1990-02-03", "1985-07-05", None],
})
# polars writes zstd unless told otherwise
incidents.write_parquet(os.path.join(here, "incidents-zstd.parquet"))
people.write_parquet(os.path.join(here, "people-zstd.parquet"))
pq.write_table(people.to_arrow(), os.path.join(here, "people-brotli.parquet"), compression="brotli")
pq.write_table(people.to_arrow(), os.path.join(here, "people-gzip.parquet"), compression="gzip")
# 5,000,000 copies of one row: dictionary and run-length encoding make it tiny on disk.
n = 5_000_000
bomb = pl.DataFrame({
    "force": pl.Series(["Kent"]).extend_constant("Kent", n - 1),
    "incident_ref": pl.Series(["SAME-REFERENCE"]).extend_constant("SAME-REFERENCE", n - 1),
    "recorded_date": pl.Series(["2023-05-01"]).extend_constant("2023-05-01", n - 1),
    "offence_code": pl.Series(["8L"]).extend_constant("8L", n - 1),
})
bomb.write_parquet(os.path.join(here, "incidents-repeated.parquet"))
