"""What the Python tests share: the repository, a private cache, and the
tolerances of DESIGN.md section 9."""
import os
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# Each test run compiles into its own cache unless CTest gives one.
if not os.environ.get("NDR_CACHE_DIR"):
    os.environ["NDR_CACHE_DIR"] = tempfile.mkdtemp(prefix="ndr-test-cache-")


def bf16_bits(values):
    """f32 values rounded to bf16 (nearest even), as uint16 bits."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype(np.uint16)


def bf16_values(bits):
    return (np.asarray(bits, dtype=np.uint32) << 16).view(np.float32)


def assert_close(test, actual, expected, rtol=1e-5, atol=1e-6):
    """DESIGN.md section 9 for f32: |a - e| <= atol + rtol * |e|."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    test.assertEqual(actual.shape, expected.shape)
    excess = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    test.assertLessEqual(
        excess[worst], 0.0,
        f"at {worst}: {actual[worst]} vs {expected[worst]} (rtol {rtol}, atol {atol})")
