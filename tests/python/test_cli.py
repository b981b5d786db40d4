"""python -m ndr: compile, run, import and their errors."""
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

from common import EXAMPLES, ROOT

HERE = Path(__file__).resolve().parent


def ndr_cli(*args, cwd=None):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "python"), str(HERE)])
    return subprocess.run([sys.executable, "-m", "ndr", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True)


class Cli(unittest.TestCase):
    def test_help(self):
        done = ndr_cli("--help")
        self.assertEqual(done.returncode, 0)
        for command in ("compile", "run", "import"):
            self.assertIn(command, done.stdout)
        self.assertIn("--input-shape", ndr_cli("import", "--help").stdout)

    def test_compile_prints_the_library(self):
        done = ndr_cli("compile", EXAMPLES / "residual_mlp_bn.ndr")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertTrue(done.stdout.strip().endswith(".so"))
        self.assertTrue(Path(done.stdout.strip()).is_file())

    def test_run_with_files(self):
        with tempfile.TemporaryDirectory() as d:
            x = np.random.default_rng(0).standard_normal((64, 512)).astype(np.float32)
            np.save(f"{d}/x.npy", x)
            done = ndr_cli("run", EXAMPLES / "residual_mlp_bn.ndr", "--input",
                           f"x={d}/x.npy", "--output", f"y={d}/y.npy")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn(f"y: float32[64, 512] -> {d}/y.npy", done.stdout)
            self.assertEqual(np.load(f"{d}/y.npy").shape, (64, 512))

    def test_errors(self):
        done = ndr_cli("run", EXAMPLES / "residual_mlp_bn.ndr", "--input", "z=a.npy")
        self.assertEqual(done.returncode, 6)
        self.assertIn("error: --input: model 'residual_mlp_bn' has no input 'z' (inputs: x)",
                      done.stderr)
        done = ndr_cli("run", EXAMPLES / "residual_mlp_bn.ndr", "--input", "x=/none.npy")
        self.assertEqual(done.returncode, 1)
        self.assertIn("error: input 'x': /none.npy: ", done.stderr)
        with tempfile.TemporaryDirectory() as d:
            Path(f"{d}/bad.ndr").write_text("model bad(x: f32[4]) -> (y) {\n}\n")
            done = ndr_cli("compile", f"{d}/bad.ndr")
            self.assertEqual(done.returncode, 2)
            self.assertIn("bad.ndr:1:", done.stderr)
        self.assertEqual(ndr_cli("frob").returncode, 2)

    def test_import_then_run(self):
        with tempfile.TemporaryDirectory() as d:
            done = ndr_cli("import", "torch_modules:make_post_ln_ffn", "--input-shape",
                           "x=f32[2, 5, 64]", "--eval", "-o", f"{d}/ffn")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("6 parameters", done.stdout)
            source = Path(f"{d}/ffn.ndr").read_text()
            self.assertIn("model post_lnffn(x: f32[2, 5, 64]) -> (y)", source)
            done = ndr_cli("run", f"{d}/ffn.ndr", "--params", f"{d}/ffn.safetensors")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("y: float32[2, 5, 64]", done.stdout)


if __name__ == "__main__":
    unittest.main()
