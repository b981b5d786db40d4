"""ndr.compile, ndr.load and Model: every example, the checks of inputs and
outputs, parameters, the cache, dtypes and dropout."""
import os
import sys
import tempfile
import threading
import unittest
from unittest import mock

import numpy as np
import torch
import torch.nn.functional as F

import ndr
import ndr.compiler
from common import EXAMPLES, assert_close, bf16_bits, bf16_values

LN = """
model ln(x: f32[3, 769], r: f32[3, 769]) -> (y, s) {
  param g: f32[769] = ones
  param b: f32[769] = zeros
  s = x + r
  y = layer_norm(s, g, b, eps = 1e-5)
}
"""


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


class Examples(unittest.TestCase):
    def test_every_example_compiles_and_runs(self):
        for path in sorted(EXAMPLES.glob("*.ndr")):
            with self.subTest(example=path.name):
                model = ndr.compile(path)
                inputs = {}
                for spec in model.inputs:
                    x = rand(*spec.shape)
                    inputs[spec.name] = bf16_bits(x) if spec.dtype == "bf16" \
                        else x.astype(spec.numpy_dtype)
                out = model(**inputs)
                self.assertEqual(list(out), [s.name for s in model.outputs])
                for spec in model.outputs:
                    y = out[spec.name]
                    self.assertEqual(y.shape, spec.shape)
                    self.assertEqual(y.dtype, spec.numpy_dtype)
                    values = bf16_values(y) if spec.dtype == "bf16" else y
                    self.assertTrue(np.isfinite(values).all())

    def test_residual_mlp_bn_matches_pytorch(self):
        # y = x + relu(batch_norm(linear(x, w, b))). ndrc folds the batch norm
        # into the linear's weights, which rounds differently: errors are ulps
        # of the terms (up to ~4 here), and x + relu(h) can cancel them, so
        # the absolute tolerance is 1e-5, not the norms' 1e-6.
        model = ndr.compile(EXAMPLES / "residual_mlp_bn.ndr")
        g = torch.Generator().manual_seed(1)
        params = {"w": torch.randn(512, 512, generator=g) * 0.05,
                  "b": torch.randn(512, generator=g),
                  "mean": torch.randn(512, generator=g),
                  "var": torch.rand(512, generator=g) + 0.5,
                  "gamma": torch.randn(512, generator=g),
                  "beta": torch.randn(512, generator=g)}
        model.load_params(params)
        x = torch.randn(64, 512, generator=g)
        h = F.batch_norm(F.linear(x, params["w"], params["b"]), params["mean"],
                         params["var"], params["gamma"], params["beta"], eps=1e-5)
        assert_close(self, model(x)["y"], (x + F.relu(h)).numpy(), 1e-5, 1e-5)


class Describe(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = ndr.compile(LN)

    def test_specs_come_from_the_library(self):
        m = self.model
        self.assertEqual(m.name, "ln")
        self.assertEqual([(s.name, s.dtype, s.shape) for s in m.inputs],
                         [("x", "f32", (3, 769)), ("r", "f32", (3, 769))])
        self.assertEqual([s.name for s in m.outputs], ["y", "s"])
        self.assertEqual([(s.name, s.init) for s in m.params], [("g", "ones"), ("b", "zeros")])
        self.assertIn("ln", repr(m))

    def test_load_gives_the_same_model(self):
        again = ndr.load(self.model.path)
        self.assertEqual(again.inputs, self.model.inputs)
        x, r = rand(3, 769), rand(3, 769, seed=1)
        np.testing.assert_array_equal(again(x, r)["y"], self.model(x, r)["y"])

    def test_load_of_something_else(self):
        with self.assertRaisesRegex(ndr.NdrError, "cannot load"):
            ndr.load("/nonexistent/m.so")
        libm = "libm.so.6"
        with self.assertRaisesRegex(ndr.NdrError, "not a model library"):
            ndr.load(libm)


class Inputs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = ndr.compile(LN)
        cls.x, cls.r = rand(3, 769), rand(3, 769, seed=1)

    def check(self, status, pattern, *args, **kwargs):
        with self.assertRaisesRegex(ndr.NdrError, pattern) as caught:
            self.model(*args, **kwargs)
        self.assertEqual(caught.exception.status, status)

    def test_values_match_pytorch(self):
        g, b = rand(769, seed=2), rand(769, seed=3)
        self.model.load_params({"g": g, "b": b})
        try:
            out = self.model(x=self.x, r=self.r)
            s = torch.from_numpy(self.x + self.r)
            expected = F.layer_norm(s, (769,), torch.from_numpy(g), torch.from_numpy(b))
            assert_close(self, out["y"], expected.numpy())
            np.testing.assert_array_equal(out["s"], self.x + self.r)
        finally:
            self.model.load_params(None)

    def test_positional_keyword_and_torch(self):
        a = self.model(self.x, self.r)["y"]
        b = self.model(self.x, r=self.r)["y"]
        c = self.model(torch.from_numpy(self.x), torch.from_numpy(self.r))["y"]
        d = self.model.run({"x": self.x, "r": self.r})["y"]
        for other in (b, c, d):
            np.testing.assert_array_equal(a, other)

    def test_non_contiguous_inputs_are_copied(self):
        xt = np.asfortranarray(self.x)
        np.testing.assert_array_equal(self.model(xt, self.r)["y"],
                                      self.model(self.x, self.r)["y"])

    def test_wrong_name(self):
        self.check(6, r"model 'ln' has no input 'z' \(inputs: x, r\)",
                   x=self.x, r=self.r, z=self.x)

    def test_missing_input(self):
        self.check(5, r"missing input 'r: f32\[3, 769\]'", x=self.x)

    def test_wrong_shape(self):
        self.check(3, r"input 'r': expected shape \[3, 769\], got \[3, 768\]",
                   self.x, rand(3, 768))

    def test_wrong_dtype(self):
        self.check(4, r"input 'x': expected dtype f32 .*got numpy float64",
                   self.x.astype(np.float64), self.r)
        self.check(4, r"input 'x': expected dtype f32 .*got f16",
                   torch.zeros(3, 769, dtype=torch.float16), self.r)
        self.check(4, r"got torch.int64", torch.zeros(3, 769, dtype=torch.int64), self.r)

    def test_not_an_array(self):
        self.check(6, r"input 'x': expected a numpy array or a torch tensor, got list",
                   [[0.0]], self.r)

    def test_too_many_and_twice(self):
        self.check(6, r"takes 2 inputs \(x, r\), got 3 positional", self.x, self.r, self.x)
        self.check(6, r"input 'x' given twice", self.x, x=self.x, r=self.r)

    def test_seed(self):
        self.check(6, r"seed: expected an integer in \[0, 2\^64\), got -1",
                   self.x, self.r, seed=-1)
        self.check(6, r"seed", self.x, self.r, seed=2**64)

    def test_outputs_into_given_arrays(self):
        y = np.full((3, 769), np.nan, np.float32)
        out = self.model(self.x, self.r, out={"y": y})
        self.assertIs(out["y"], y)
        np.testing.assert_array_equal(y, self.model(self.x, self.r)["y"])
        self.check(4, r"output 'y': expected dtype float32", self.x, self.r,
                   out={"y": np.empty((3, 769), np.float64)})
        self.check(3, r"output 's': expected shape \[3, 769\]", self.x, self.r,
                   out={"s": np.empty((3, 768), np.float32)})
        self.check(6, r"C-contiguous", self.x, self.r,
                   out={"y": np.empty((769, 3), np.float32).T})
        self.check(6, r"no output 'q' \(outputs: y, s\)", self.x, self.r,
                   out={"q": y})
        self.check(6, r"each output needs its own array", self.x, self.r,
                   out={"y": y, "s": y})

    def test_threads_give_the_bytes_of_one(self):
        expected = self.model(self.x, self.r)["y"]
        results, errors = [], []

        def work():
            try:
                for _ in range(20):
                    results.append(self.model(self.x, self.r)["y"])
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 80)
        for y in results:
            np.testing.assert_array_equal(y, expected)


class Gil(unittest.TestCase):
    def test_a_run_releases_the_gil(self):
        # While one call runs (tens of milliseconds), another Python thread
        # must get to run; were the GIL held, its counter could not move
        # between the call's start and its end.
        model = ndr.compile("model big(x: f32[4096, 4096]) -> (y) {\n"
                            "  y = layer_norm(x)\n}\n")
        x = np.ones((4096, 4096), np.float32)
        model(x)  # the first run leases its workspace and faults in pages
        count, stop = [0], threading.Event()

        def spin():
            while not stop.is_set():
                count[0] += 1
        spinner = threading.Thread(target=spin)
        # Python hands the GIL over only every switch interval; a long one
        # leaves the spinner only the time in which a call releases it.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1.0)
        spinner.start()
        try:
            moved = 0
            for _ in range(3):
                before = count[0]
                model(x)
                moved = max(moved, count[0] - before)
        finally:
            stop.set()
            spinner.join()
            sys.setswitchinterval(interval)
        self.assertGreater(moved, 100)


class Params(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = ndr.compile(LN)

    def tearDown(self):
        self.model.load_params(None)

    def test_defaults(self):
        x, r = rand(3, 769), rand(3, 769, seed=1)
        expected = F.layer_norm(torch.from_numpy(x + r), (769,))
        assert_close(self, self.model(x, r)["y"], expected.numpy())

    def test_state_dict_names_with_dots(self):
        g = torch.full((769,), 2.0)
        self.model.load_params({"g": g, "b": torch.ones(769), "extra.num": torch.tensor(3)})
        y = self.model(rand(3, 769), rand(3, 769, seed=1))["y"]
        self.assertAlmostEqual(float(y.mean()), 1.0, places=4)

    def test_safetensors_file(self):
        from ndr.tensors import write_safetensors
        with tempfile.TemporaryDirectory() as d:
            path = f"{d}/p.safetensors"
            write_safetensors(path, {"g": ("f32", np.ones(769, np.float32)),
                                     "b": ("f32", np.full(769, 3.0, np.float32))})
            self.model.load_params(path)
            y = self.model(rand(3, 769), rand(3, 769, seed=1))["y"]
            self.assertAlmostEqual(float(y.mean()), 3.0, places=4)
            with self.assertRaisesRegex(ndr.NdrError, "missing.*'g'") as caught:
                write_safetensors(path, {"b": ("f32", np.ones(769, np.float32))})
                self.model.load_params(path)
            self.assertEqual(caught.exception.status, 5)

    def test_dict_errors(self):
        with self.assertRaisesRegex(ndr.NdrError, r"missing parameter 'b' \(f32\[769\]\)"):
            self.model.load_params({"g": np.ones(769, np.float32)})
        with self.assertRaisesRegex(ndr.NdrError, r"parameter 'b': expected shape \[769\]"):
            self.model.load_params({"g": np.ones(769, np.float32),
                                    "b": np.ones(768, np.float32)})
        with self.assertRaisesRegex(ndr.NdrError, r"params: expected a safetensors path"):
            self.model.load_params(3)
        with self.assertRaisesRegex(ndr.NdrError, r"cannot open") as caught:
            self.model.load_params("/nonexistent.safetensors")
        self.assertEqual(caught.exception.status, 1)


class Compile(unittest.TestCase):
    def test_second_compile_compiles_nothing(self):
        source = LN.replace("ln(", "cached(")
        with tempfile.TemporaryDirectory() as cache, \
                mock.patch.dict(os.environ, {"NDR_CACHE_DIR": cache}), \
                mock.patch.object(ndr.compiler.subprocess, "run",
                                  wraps=ndr.compiler.subprocess.run) as run:
            first = ndr.compile(source)
            second = ndr.compile(source)
            self.assertEqual(run.call_count, 1)
            ndr.compile(source, mode="train")
            self.assertEqual(run.call_count, 2)
        self.assertEqual(first.path, second.path)

    def test_source_error(self):
        with self.assertRaises(ndr.CompileError) as caught:
            ndr.compile("model bad(x: f32[4]) -> (y) {\n  y = relu(z)\n}\n")
        self.assertEqual(caught.exception.exit_code, 2)
        self.assertIn("error: unknown name 'z'", str(caught.exception))

    def test_bad_options(self):
        with self.assertRaisesRegex(ndr.NdrError, "mode: expected one of infer, train"):
            ndr.compile(LN, mode="eval")
        with self.assertRaisesRegex(ndr.NdrError, "target: expected"):
            ndr.compile(LN, target="tpu")
        with self.assertRaisesRegex(ndr.NdrError, "cannot read"):
            ndr.compile("/nonexistent/m.ndr")

    def test_model_choice(self):
        two = LN + LN.replace("ln(", "other(")
        self.assertEqual(ndr.compile(two, model="other").name, "other")
        with self.assertRaises(ndr.CompileError) as caught:
            ndr.compile(two)
        self.assertEqual(caught.exception.exit_code, 1)


class Dtypes(unittest.TestCase):
    def test_bf16_and_f16(self):
        src = """
        model half(a: bf16[4, 33], b: f16[4, 33]) -> (y, z) {
          y = layer_norm(a)
          z = relu(b)
        }"""
        model = ndr.compile(src)
        a = rand(4, 33)
        b = rand(4, 33, seed=1).astype(np.float16)
        bits = bf16_bits(a)
        y_np = model(bits, b)
        y_torch = model(torch.from_numpy(bf16_values(bits)).bfloat16(), torch.from_numpy(b))
        np.testing.assert_array_equal(y_np["y"], y_torch["y"])
        self.assertEqual(y_np["y"].dtype, np.uint16)
        expected = F.layer_norm(torch.from_numpy(bf16_values(bits)), (33,))
        # One bf16 ulp after f32 math: the same bits or a neighbour.
        diff = np.abs(y_np["y"].astype(np.int32) - bf16_bits(expected.numpy()).astype(np.int32))
        self.assertLessEqual(int(diff.max()), 1)
        np.testing.assert_array_equal(y_np["z"], np.maximum(b, 0))
        with self.assertRaisesRegex(ndr.NdrError, r"input 'b': expected dtype f16"):
            model(bits, bits)


class Dropout(unittest.TestCase):
    def test_train_mode_mask_is_the_runtime_one(self):
        src = "model drop(x: f32[5, 101]) -> (y) {\n  y = dropout(x, p = 0.25)\n}\n"
        model = ndr.compile(src, mode="train")
        x = rand(5, 101)
        for seed in (0, 7, 2**64 - 1):
            # Kept elements are scaled by 1 / (1 - p), rounded to f32 once.
            keep = ndr.dropout_mask(model, (5, 101), 0.25, seed=seed, stream=0)
            self.assertTrue(0.6 < keep.mean() < 0.9)
            np.testing.assert_array_equal(model(x, seed=seed)["y"],
                                          np.where(keep, x * np.float32(1 / 0.75), 0))
        infer = ndr.compile(src)
        np.testing.assert_array_equal(infer(x, seed=3)["y"], x)


if __name__ == "__main__":
    unittest.main()
