"""Writes two hostile Parquet files from people-zstd.parquet (written by make.py): each adds
to one Thrift structure a field the parquet crate does not know, a list declaring
2,147,483,647 booleans in nine bytes. The crate skips an unknown field one declared element
at a time and takes a boolean in a list to occupy no bytes, so each file cost it billions of
empty steps; Conduct's reader refuses both before the crate reads them (thrift_check.rs).

    python3 tests/data/parquet/make_hostile.py

(The third hostile file here, hang-page-header-list-past-the-end.parquet, is the fuzzer's own
input: a page header declaring a list of doubles past the end of the file.)
"""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, "people-zstd.parquet"), "rb").read()
assert src[:4] == b"PAR1" and src[-4:] == b"PAR1"

# Field 100 in long form (type 9, a list; zigzag 200 as a varint), then the list's header:
# size in a varint (15 in the high nibble), element type 2 (a boolean).
BOOLEANS = bytes([0x09, 0xC8, 0x01, 0xF2, 0xFF, 0xFF, 0xFF, 0xFF, 0x07])

# 1. In the footer (FileMetaData), just before its closing stop byte.
length = struct.unpack("<I", src[-8:-4])[0]
meta = src[-8 - length : -8]
assert meta[-1] == 0
meta = meta[:-1] + BOOLEANS + b"\x00"
with open(os.path.join(here, "hostile-footer-billions-of-booleans.parquet"), "wb") as f:
    f.write(src[: -8 - length] + meta + struct.pack("<I", len(meta)) + b"PAR1")

# 2. In the first page header (the first column's dictionary page, right after the magic),
# just before its closing stop byte. polars writes that header as: type, sizes, then the
# dictionary page header (a struct of two fields), then stop.
# Field headers 0x15 (the next field, an i32) and 0x4c (field 7, a struct); each value one byte.
header = src[4:17]
assert [header[i] for i in (0, 2, 4, 6, 7, 9, 11, 12)] == [0x15, 0x15, 0x15, 0x4C, 0x15, 0x15, 0, 0], header.hex()
at = 4 + len(header) - 1
with open(os.path.join(here, "hostile-page-header-billions-of-booleans.parquet"), "wb") as f:
    f.write(src[:at] + BOOLEANS + src[at:])
