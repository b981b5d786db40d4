"""ndr.from_torch: PyTorch modules imported, compiled and compared with their
own output (DESIGN.md section 9)."""
import unittest

import numpy as np
import torch
import torch.nn as nn

import ndr
from common import assert_close
from torch_modules import (BNMLP, Functional, FunctionalBN, PostLNFFN, PreLNStack, RMSBlock, WithConv,
                           WithScale, randomize)


torch.manual_seed(0)


def roundtrip(module, x, mode=None, seed=0):
    source, params = ndr.from_torch(module, (x,), mode=mode)
    model = ndr.compile(source, mode=mode or ("train" if module.training else "infer"),
                        params=params)
    return source, model, model(x, seed=seed)["y"]


class RoundTrips(unittest.TestCase):
    def check(self, module, x):
        module = randomize(module).eval()
        source, model, y = roundtrip(module, x)
        with torch.no_grad():
            expected = module(x).numpy()
        # DESIGN.md section 9: 1e-5 relative plus 1e-6 absolute.
        assert_close(self, y, expected)
        return source

    def test_post_ln_ffn(self):
        source = self.check(PostLNFFN(), torch.randn(4, 10, 64))
        self.assertIn("layer_norm(add, norm_weight, norm_bias, eps = 1e-05)", source)
        self.assertIn("dropout(fc2, p = 0.1)", source)

    def test_pre_ln_stack_of_three(self):
        source = self.check(PreLNStack(), torch.randn(2, 7, 48))
        self.assertIn("param blocks_2_fc1_weight: f32[96, 48]", source)
        self.assertIn("approximate = tanh", source)

    def test_mlp_with_batch_norm(self):
        source = self.check(BNMLP(), torch.randn(16, 32))
        self.assertIn("batch_norm(fc1, bn_running_mean, bn_running_var, bn_weight, bn_bias, "
                      "eps = 1e-05, momentum = 0.1)", source)

    def test_rms_norm_block(self):
        source = self.check(RMSBlock(), torch.randn(3, 5, 64))
        self.assertIn("norm = rms_norm(x, norm_weight, eps = 1e-06)", source)
        self.assertNotIn("rsqrt", source)

    def test_functional_forms_and_two_outputs(self):
        module = Functional().eval()
        x, r = torch.randn(6, 24), torch.randn(6, 24)
        source, params = ndr.from_torch(module, (x, r))
        self.assertIn("-> (y0, y1)", source)
        self.assertIn("linear(x, w, b)", source)
        self.assertIn("rms_norm(add, eps = 1e-05)", source)
        self.assertIn("y0 = layer_norm(add, g, eps = 1e-05)", source)
        self.assertNotIn("dropout", source)  # F.dropout with training=False
        model = ndr.compile(source, params=params)
        out = model(x, r)
        with torch.no_grad():
            y0, y1 = module(x, r)
        assert_close(self, out["y0"], y0.numpy())
        assert_close(self, out["y1"], y1.numpy())

    def test_functional_batch_norm(self):
        module = FunctionalBN().eval()
        x = torch.randn(5, 12, 3)
        source, params = ndr.from_torch(module, (x,))
        self.assertIn("batch_norm(x, mean, var, scale, shift, eps = 0.001, momentum = 0.2)",
                      source)
        model = ndr.compile(source, params=params)
        with torch.no_grad():
            assert_close(self, model(x)["y"], module(x).numpy())
        with self.assertRaisesRegex(ndr.UnsupportedError, "training=True in a model "
                                                          "imported in infer mode"):
            ndr.from_torch(module.train(), (x,), mode="infer")

    def test_params_are_the_state_dict(self):
        module = randomize(BNMLP())
        _, params = ndr.from_torch(module.eval(), torch.randn(4, 32))
        state = module.state_dict()
        self.assertEqual(set(params), {k.replace(".", "_") for k in state
                                       if not k.endswith("num_batches_tracked")})
        for key, value in state.items():
            if key.replace(".", "_") in params:
                torch.testing.assert_close(params[key.replace(".", "_")], value)
        # The state_dict itself loads too.
        source, _ = ndr.from_torch(module.eval(), torch.randn(4, 32))
        model = ndr.compile(source, params=state)
        x = torch.randn(4, 32)
        with torch.no_grad():
            assert_close(self, model(x)["y"], module(x).numpy())

    def test_train_mode_dropout_with_the_same_mask(self):
        module = randomize(PostLNFFN(p=0.2)).eval()
        x = torch.randn(4, 10, 64)
        with torch.no_grad():
            without_dropout = module(x).numpy()
        source, model, y = roundtrip(module.train(), x, seed=11)
        self.assertIn('mode="train"', source)
        keep = ndr.dropout_mask(model, (4, 10, 64), 0.2, seed=11, stream=0)
        mask = torch.from_numpy(keep.astype(np.float32))

        class Masked(nn.Module):
            def forward(self, h):
                return h * mask * (1 / (1 - 0.2))
        module.drop = Masked()
        with torch.no_grad():
            expected = module(x).numpy()
        assert_close(self, y, expected)
        self.assertFalse(np.allclose(y, without_dropout, atol=1e-3),
                         "train-mode output equals the eval-mode one: no dropout drawn")


class Unsupported(unittest.TestCase):
    def test_a_module_without_an_op(self):
        with self.assertRaisesRegex(ndr.UnsupportedError,
                                    r"cannot import node 'conv', a call of module 'conv' "
                                    r"\(Conv1d\).*NDR has no op for it"):
            ndr.from_torch(WithConv(), torch.randn(2, 4, 8))

    def test_a_number_operand_names_its_line(self):
        with self.assertRaisesRegex(ndr.UnsupportedError,
                                    r"node 'mul'.*torch_modules.py.*return torch.relu\(x\) "
                                    r"\* 2.0.*operand is a number"):
            ndr.from_torch(WithScale(), torch.randn(2, 4))

    def test_not_a_module(self):
        with self.assertRaisesRegex(ndr.UnsupportedError, "expected a torch.nn.Module"):
            ndr.from_torch(lambda x: x, torch.randn(2))


if __name__ == "__main__":
    unittest.main()
