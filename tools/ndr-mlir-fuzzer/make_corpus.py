#!/usr/bin/env python3
"""Seed corpus of ndr-mlir-fuzzer, from the lit tests.

    make_corpus.py OUT_DIR

Splits tests/lit/**/*.mlir and examples/*.mlir on `// -----` lines, drops
comment lines (RUN, CHECK, prose: the fuzzer would only mutate them), and
writes each distinct piece that holds an operation to OUT_DIR. A piece of a
file whose RUN lines use mode=train or remarks=true is written again behind
the fuzzer's option line (`// ndr-fuzz: train`, `// ndr-fuzz: remarks`;
MlirFuzzer.cpp), so the seeds reach both modes and the remarks. Pieces over 16 KB are left out: they would slow every
execution. Standard library only; scripts/fuzz.sh runs it.
"""
import hashlib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
MAX_SIZE = 16 * 1024


def option_lines(text):
    """The option lines to write each piece behind: "" (the defaults) first."""
    run = "\n".join(line for line in text.splitlines() if "RUN:" in line)
    lines = [""]
    if re.search(r"mode[= ]train", run):
        lines.append("// ndr-fuzz: train\n")
    if re.search(r"remarks=true|--ndr-remarks", run):
        lines.append("// ndr-fuzz: remarks\n")
    return lines


def pieces(text):
    for piece in re.split(r"^// -----.*$", text, flags=re.M):
        lines = [line for line in piece.splitlines()
                 if line.strip() and not line.lstrip().startswith("//")]
        if any("(" in line or "func" in line for line in lines):
            yield "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUT_DIR")
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted((ROOT / "tests" / "lit").rglob("*.mlir")) + sorted(
        (ROOT / "examples").glob("*.mlir"))
    seen = set()
    for source in sources:
        text = source.read_text()
        stem = "_".join(source.relative_to(ROOT).with_suffix("").parts)
        for index, piece in enumerate(pieces(text)):
            for variant, prefix in enumerate(option_lines(text)):
                data = (prefix + piece).encode()
                digest = hashlib.sha1(data).hexdigest()
                if len(data) > MAX_SIZE or digest in seen:
                    continue
                seen.add(digest)
                (out / ("%s_%d_%d.mlir" % (stem, index, variant))).write_bytes(data)


if __name__ == "__main__":
    main()
