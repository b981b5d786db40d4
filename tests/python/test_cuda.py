"""The CUDA target from Python: every example and the dtypes against the CPU
target, train-mode masks bit for bit, run_device on device pointers and its
errors. Kernels run under the runtime's emulator (NDR_CUDA_EMULATE=1, set
here for this process) unless NDR_TEST_CUDA_DEVICE=1 says there is a GPU."""
import os
import unittest

import numpy as np

DEVICE = os.environ.get("NDR_TEST_CUDA_DEVICE") == "1"
if not DEVICE:
    os.environ["NDR_CUDA_EMULATE"] = "1"  # read once, when the first model is created

import ndr  # noqa: E402
from common import EXAMPLES, assert_close, bf16_bits, bf16_values  # noqa: E402

LN = """
model ln(x: f32[5, 768], r: f32[5, 768]) -> (y, s) {
  param g: f32[768] = normal(0.5)
  param b: f32[768] = normal(0.5)
  s = x + r
  y = layer_norm(s, g, b, eps = 1e-5)
}
"""

TRAIN = """
model t(x: f32[4, 264], r: f32[4, 264]) -> (y) {
  param g: f32[264] = ones
  y = rms_norm(r + dropout(x, p = 0.25), g) + dropout(x, p = 0.5)
}
"""


def compile_cuda(source, **kw):
    return ndr.compile(source, target="cuda", gpu_emulate=not DEVICE, **kw)


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def inputs_of(model, seed=0):
    inputs = {}
    for i, spec in enumerate(model.inputs):
        x = rand(*spec.shape, seed=seed + i)
        inputs[spec.name] = bf16_bits(x) if spec.dtype == "bf16" else x.astype(spec.numpy_dtype)
    return inputs


class CudaTarget(unittest.TestCase):
    def test_every_example_matches_the_cpu(self):
        for path in sorted(EXAMPLES.glob("*.ndr")):
            for mode in ("infer", "train"):
                with self.subTest(example=path.name, mode=mode):
                    gpu, cpu = compile_cuda(path, mode=mode), ndr.compile(path, mode=mode)
                    self.assertEqual(gpu.target, "cuda")
                    self.assertEqual(cpu.target, "cpu")
                    inputs = inputs_of(cpu)
                    want, got = cpu.run(inputs, seed=5), gpu.run(inputs, seed=5)
                    for name, expected in want.items():
                        actual = got[name]
                        if expected.dtype == np.uint16:  # bf16: one ulp of it
                            actual, expected = bf16_values(actual), bf16_values(expected)
                            assert_close(self, actual, expected, rtol=2 ** -7, atol=1e-3)
                        else:
                            # The GEMMs (cuBLAS or oneDNN) add in other orders.
                            assert_close(self, actual, expected, rtol=1e-4, atol=1e-5)

    def test_train_masks_equal_the_cpus(self):
        gpu, cpu = compile_cuda(TRAIN, mode="train"), ndr.compile(TRAIN, mode="train")
        inputs = inputs_of(cpu)
        for seed in (0, 7, 2 ** 64 - 1):
            with self.subTest(seed=seed):
                want, got = cpu.run(inputs, seed=seed)["y"], gpu.run(inputs, seed=seed)["y"]
                # A mask that differs in one element is off by a whole x there.
                assert_close(self, got, want)
                np.testing.assert_array_equal(got == 0, want == 0)

    def test_params_are_loaded_once_and_runs_repeat(self):
        model = compile_cuda(LN, seed=3)
        x, r = rand(5, 768, seed=1), rand(5, 768, seed=2)
        first = model(x, r)
        second = model(x=x, r=r)
        for name in ("y", "s"):
            np.testing.assert_array_equal(first[name], second[name])
        assert_close(self, first["s"], x + r)

    def test_run_device_on_device_pointers(self):
        if DEVICE:
            self.skipTest("needs device memory: covered by bench/gpu/run_device.sh")
        # The emulator's device memory is host memory.
        model = compile_cuda(LN, seed=3)
        x, r = rand(5, 768, seed=1), rand(5, 768, seed=2)
        want = model(x, r)
        y, s = np.empty((5, 768), np.float32), np.empty((5, 768), np.float32)
        model.run_device({"x": x.ctypes.data, "r": r.ctypes.data},
                         {"y": y.ctypes.data, "s": s.ctypes.data})
        np.testing.assert_array_equal(y, want["y"])
        np.testing.assert_array_equal(s, want["s"])

    def test_run_device_errors(self):
        model = compile_cuda(LN)
        x = np.zeros((5, 768), np.float32)
        out = {"y": x.ctypes.data, "s": x.ctypes.data}
        with self.assertRaisesRegex(ndr.NdrError, "not 16-byte aligned") as caught:
            model.run_device({"x": x.ctypes.data + 4, "r": x.ctypes.data}, out)
        self.assertEqual(caught.exception.status, ndr.errors.ARG)
        with self.assertRaisesRegex(ndr.NdrError, "null device pointer for input 'r'"):
            model.run_device({"x": x.ctypes.data, "r": 0}, out)
        with self.assertRaisesRegex(ndr.NdrError, "missing input 'r"):
            model.run_device({"x": x.ctypes.data}, out)
        with self.assertRaisesRegex(ndr.NdrError, "expected a CUDA tensor or a device pointer"):
            model.run_device({"x": x, "r": x.ctypes.data}, out)
        cpu = ndr.compile(LN)
        with self.assertRaisesRegex(ndr.NdrError, "runs on the CPU"):
            cpu.run_device({"x": 1, "r": 2}, out)
        with self.assertRaisesRegex(ndr.NdrError, "are for target='cuda'"):
            ndr.compile(LN, gpu_emulate=True)


if __name__ == "__main__":
    unittest.main()
