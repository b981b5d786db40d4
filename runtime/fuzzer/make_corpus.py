#!/usr/bin/env python3
"""Seed corpora of ndr-npy-fuzzer and ndr-safetensors-fuzzer.

    make_corpus.py OUT_DIR

writes OUT_DIR/npy/ and OUT_DIR/safetensors/: hand-made files covering what
the unit tests (tests/unit/runtime/NpyTest.cpp, SafetensorsTest.cpp) write
and read (every dtype, versions 1.0 and 2.0, empty shapes, metadata, escapes,
Python 2 dimensions), plus the golden files of tests/data up to 8 KB.
Standard library only; scripts/fuzz.sh runs it.
"""
import pathlib
import shutil
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def npy(header, data=b"", version=(1, 0), pad=True):
    text = header
    prefix = 10 if version == (1, 0) else 12
    if pad:  # numpy pads with spaces and a newline to a multiple of 64
        text += " " * (63 - (prefix + len(text)) % 64) + "\n"
    raw = text.encode("latin-1")
    size = struct.pack("<H", len(raw)) if version == (1, 0) else struct.pack("<I", len(raw))
    return b"\x93NUMPY" + bytes(version) + size + raw + data


def npy_seeds():
    f32 = lambda *v: struct.pack("<%df" % len(v), *v)
    u16 = lambda *v: struct.pack("<%dH" % len(v), *v)
    return {
        "f32_scalar": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", f32(1.5)),
        "f32_vector": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                          f32(1, -2, 3e-39)),
        "f32_matrix": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                          f32(*range(6))),
        "f16": npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }",
                   u16(0x3C00, 0x7C00, 0x7E01, 0x0001)),
        "bf16_bits": npy("{'descr': '<u2', 'fortran_order': False, 'shape': (4,), }",
                         u16(0x3F80, 0xFF80, 0x7FC1, 0x0001)),
        "v2": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32(4, 5),
                  version=(2, 0)),
        "empty": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }"),
        "python2": npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1L, 2L), }",
                       u16(1, 2)),
        "unpadded_double_quotes": npy('{"shape": (1, 1), "fortran_order": False, "descr": "<f4"}',
                                      f32(7), pad=False),
        "rank4": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 1), }",
                     f32(8, 9)),
        "fortran": npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", f32(1, 2)),
    }


def safetensors(header, data=b"", pad=True):
    raw = header.encode("utf-8")
    if pad:
        raw += b" " * ((8 - len(raw) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


def safetensors_seeds():
    f32 = lambda *v: struct.pack("<%df" % len(v), *v)
    return {
        "empty": safetensors("{}"),
        "metadata_only": safetensors('{"__metadata__":{"format":"pt"}}'),
        # The fuzzer's model: "w" f32[2, 2] and "b" bf16[2].
        "model": safetensors(
            '{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},'
            '"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]}}',
            f32(1, 2, 3, 4) + struct.pack("<2H", 0x3F80, 0x4000)),
        "model_wrong_dtype": safetensors(
            '{"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},'
            '"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]}}', bytes(12)),
        "every_dtype": safetensors(
            '{"f64":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},'
            '"i64":{"dtype":"I64","shape":[],"data_offsets":[8,16]},'
            '"i32":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},'
            '"u32":{"dtype":"U32","shape":[1],"data_offsets":[20,24]},'
            '"i16":{"dtype":"I16","shape":[1],"data_offsets":[24,26]},'
            '"u16":{"dtype":"U16","shape":[1],"data_offsets":[26,28]},'
            '"f16":{"dtype":"F16","shape":[1],"data_offsets":[28,30]},'
            '"i8":{"dtype":"I8","shape":[1],"data_offsets":[30,31]},'
            '"u8":{"dtype":"U8","shape":[1],"data_offsets":[31,32]},'
            '"bool":{"dtype":"BOOL","shape":[1],"data_offsets":[32,33]},'
            '"e4m3":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[33,34]},'
            '"e5m2":{"dtype":"F8_E5M2","shape":[1],"data_offsets":[34,35]},'
            '"u64":{"dtype":"U64","shape":[0],"data_offsets":[35,35]}}',
            bytes(range(35))),
        "hand_written_json": safetensors(
            '{\n "__metadata__" : { } ,\r\n\t"b\\u00e9\\ud83d\\ude00\\/x" : '
            '{ "shape" : [ 1 ] , "data_offsets" : [ 4 , 6 ] , "dtype" : "F16" } , '
            '"a":{"data_offsets":[0,4],"dtype":"U8","shape":[2,2]}}    ',
            b"abcdxy", pad=False),
        "escaped_names": safetensors(
            '{"quote\\"back\\\\slash\\nnewline \u00e9":{"dtype":"F16","shape":[2],'
            '"data_offsets":[0,4]},"__metadata__":{"note":"a \\"quoted\\" value"}}',
            bytes(4)),
        "empty_tensor": safetensors(
            '{"e":{"dtype":"F16","shape":[0,5],"data_offsets":[0,0]},'
            '"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1)),
        "rank16": safetensors(
            '{"r":{"dtype":"U8","shape":[' + ",".join(["1"] * 16) +
            '],"data_offsets":[0,1]}}', b"\x01"),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUT_DIR")
    out = pathlib.Path(sys.argv[1])
    for kind, seeds in (("npy", npy_seeds()), ("safetensors", safetensors_seeds())):
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (folder / (name + "." + kind)).write_bytes(data)
        for path in sorted((ROOT / "tests" / "data").rglob("*." + kind)):
            if path.stat().st_size <= 8192:
                name = "data_" + "_".join(path.relative_to(ROOT / "tests" / "data").parts)
                shutil.copyfile(path, folder / name)


if __name__ == "__main__":
    main()
