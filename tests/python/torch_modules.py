"""PyTorch modules that the import tests (and `python -m ndr import`) use."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PostLNFFN(nn.Module):
    """A post-LN transformer feed-forward sublayer: LN(x + dropout(W2 gelu(W1 x)))."""

    def __init__(self, d=64, hidden=256, p=0.1):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, d)
        self.drop = nn.Dropout(p)
        self.norm = nn.LayerNorm(d)

    def forward(self, x):
        return self.norm(x + self.drop(self.fc2(self.act(self.fc1(x)))))


class PreLNBlock(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        h = F.gelu(self.fc1(self.norm(x)), approximate="tanh")
        return x + self.drop(self.fc2(h))


class PreLNStack(nn.Module):
    """Three pre-norm blocks and a final LayerNorm."""

    def __init__(self, d=48, hidden=96):
        super().__init__()
        self.blocks = nn.ModuleList([PreLNBlock(d, hidden) for _ in range(3)])
        self.final = nn.LayerNorm(d)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.final(x)


class BNMLP(nn.Module):
    """Linear, BatchNorm1d, ReLU, Linear, Sigmoid."""

    def __init__(self, d=32, hidden=64, out=16):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, out)

    def forward(self, x):
        return torch.sigmoid(self.fc2(F.relu(self.bn(self.fc1(x)))))


class RMSNorm(nn.Module):
    """The usual hand-written RMSNorm."""

    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class RMSBlock(nn.Module):
    """x + W_down(silu(W_gate n) * W_up n), n = RMSNorm(x): a LLaMA-style MLP."""

    def __init__(self, d=64, hidden=160):
        super().__init__()
        self.norm = RMSNorm(d)
        self.gate = nn.Linear(d, hidden, bias=False)
        self.up = nn.Linear(d, hidden, bias=False)
        self.down = nn.Linear(hidden, d, bias=False)
        self.act = nn.SiLU()

    def forward(self, x):
        n = self.norm(x)
        return torch.add(x, self.down(self.act(self.gate(n)) * self.up(n)))


class FunctionalBN(nn.Module):
    """F.batch_norm on buffers and parameters, as a hand-written BatchNorm."""

    def __init__(self, c=12):
        super().__init__()
        self.register_buffer("mean", torch.randn(c))
        self.register_buffer("var", torch.rand(c) + 0.5)
        self.scale = nn.Parameter(torch.randn(c))
        self.shift = nn.Parameter(torch.randn(c))

    def forward(self, x):
        return F.batch_norm(x, self.mean, self.var, self.scale, self.shift,
                            self.training, 0.2, 1e-3)


class WithConv(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


class WithScale(nn.Module):
    def forward(self, x):
        return torch.relu(x) * 2.0


def randomize(module, seed=0):
    """Random weights, and running statistics far from 0 and 1, so that every
    parameter matters."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            elif name.endswith(("weight", "running_mean", "bias")):
                scale = 1.0 / max(1, t.shape[-1]) ** 0.5 if t.dim() == 2 else 0.5
                base = 1.0 if t.dim() == 1 and name.endswith("weight") else 0.0
                t.copy_(base + scale * torch.randn(t.shape, generator=g))
    return module


def make_post_ln_ffn():
    return randomize(PostLNFFN())


class Functional(nn.Module):
    """The F.* forms, an identity, a weightless RMSNorm written with x * x,
    and two outputs."""

    def __init__(self, d=24):
        super().__init__()
        self.w = nn.Parameter(torch.randn(d, d) / d ** 0.5)
        self.b = nn.Parameter(torch.randn(d))
        self.g = nn.Parameter(torch.rand(d) + 0.5)
        self.keep = nn.Identity()

    def forward(self, x, r):
        h = F.dropout(F.linear(x, self.w, self.b), 0.3, training=False)
        h = self.keep(F.silu(h))
        s = torch.add(r, h)
        n = s * torch.rsqrt(torch.mean(s * s, dim=-1, keepdim=True) + 1e-5)
        return F.layer_norm(s, (24,), self.g, None), torch.tanh(n) * torch.sigmoid(h)
