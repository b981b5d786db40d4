"""ndr.from_torch: a PyTorch module to .ndr source and its parameters, by
torch.fx tracing.

Each node of the traced graph becomes one statement named after the node
(fx names call_module nodes by their attribute path, as in `layers_0_norm`),
and each parameter or buffer a `param` named by its attribute path with dots
made underscores. What NDR has no op for is an UnsupportedError that names
the node, what it calls and the line of forward() it comes from.
"""
import operator
import re

from . import errors
from .errors import UnsupportedError

_DTYPES = {"torch.float32": "f32", "torch.float16": "f16", "torch.bfloat16": "bf16"}
_RESERVED = {"model", "param"}


def _ident(text):
    name = re.sub(r"\W", "_", str(text))
    if not name or name[0].isdigit():
        name = "_" + name
    return name + "_" if name in _RESERVED else name


def _snake(text):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text).lower()


def _number(value):
    return repr(float(value))


def from_torch(module, example_inputs, mode=None, name=None):
    """Imports `module` (a torch.nn.Module) traced with torch.fx on
    `example_inputs` (a tensor or a tuple of tensors, which give the input
    shapes and dtypes). Returns (ndr_source, params): the source of one model
    and {param name: tensor}, the module's state_dict under the source's
    names, for Model.load_params. `mode` ("infer" or "train") follows
    module.training unless given; the source's first line says which mode to
    compile it with."""
    import torch
    import torch.fx

    if not isinstance(module, torch.nn.Module):
        raise UnsupportedError(f"expected a torch.nn.Module, got {type(module).__name__}",
                               errors.ARG)
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    mode = mode or ("train" if module.training else "infer")
    if mode not in ("infer", "train"):
        raise UnsupportedError(f"mode: expected infer or train, got {mode!r}", errors.ARG)
    tracer = _tracer()
    graph = tracer.trace(module)
    gm = torch.fx.GraphModule(tracer.root, graph)
    from torch.fx.passes.shape_prop import ShapeProp
    with torch.no_grad():
        ShapeProp(gm).propagate(*example_inputs)
    return _Importer(gm, mode, name or _ident(_snake(type(module).__name__)),
                     type(module).__name__).run()


class _Importer:
    def __init__(self, gm, mode, model_name, class_name):
        self.gm = gm
        self.class_name = class_name
        self.mode = mode
        self.model_name = model_name
        self.names = {}       # fx node -> the .ndr name of its value
        self.used = set(_RESERVED)
        self.params = {}      # .ndr name -> tensor
        self.param_lines = []
        self.lines = []
        self.absorbed = set()  # nodes folded into a later statement

    # ---- names --------------------------------------------------------------
    def fresh(self, base):
        name, i = _ident(base), 1
        while name in self.used:
            name, i = f"{_ident(base)}_{i}", i + 1
        self.used.add(name)
        return name

    def param(self, path, tensor, init=None):
        """The .ndr name of the parameter or buffer at attribute `path`."""
        name = _ident(path.replace(".", "_"))
        if name in self.params:
            if self.params[name] is not tensor:
                raise UnsupportedError(f"two tensors of the module are both named "
                                       f"'{name}' after their dots became underscores")
            return name
        if name in self.used:
            raise UnsupportedError(f"the parameter '{path}' would be named '{name}', "
                                   "which the traced graph already uses")
        self.used.add(name)
        self.params[name] = tensor.detach().clone()
        self.param_lines.append(f"  param {name}: {self.type_of(tensor, path)}"
                                + (f" = {init}" if init else ""))
        return name

    def type_of(self, tensor, what):
        dtype = _DTYPES.get(str(tensor.dtype))
        if dtype is None:
            raise UnsupportedError(f"{what} has dtype {tensor.dtype}; NDR takes "
                                   "float32, float16 and bfloat16")
        return f"{dtype}[{', '.join(map(str, tensor.shape))}]"

    def value(self, arg, node):
        """The .ndr name of a node's tensor operand."""
        import torch.fx
        if isinstance(arg, torch.fx.Node) and arg in self.names:
            return self.names[arg]
        raise self.unsupported(node, f"operand {arg!r} is not a tensor of the model")

    # ---- errors -------------------------------------------------------------
    def where(self, node):
        """The line of forward() that made `node`: fx records the innermost frame
        first, as '  File "...", line N, in forward' and then the code."""
        trace = (node.stack_trace or "").splitlines()
        if len(trace) >= 2 and trace[0].strip().startswith("File "):
            return f" ({trace[0].strip()}: {trace[1].strip()})"
        return ""

    def describe(self, node):
        if node.op == "call_module":
            sub = self.gm.get_submodule(node.target)
            return f"module '{node.target}' ({type(sub).__name__})"
        if node.op == "call_method":
            return f"method .{node.target}()"
        target = getattr(node.target, "__qualname__", None) or str(node.target)
        module = getattr(node.target, "__module__", None) or ""
        return f"function {module + '.' if module else ''}{target}"

    def unsupported(self, node, why=None):
        return UnsupportedError(
            f"cannot import node '{node.name}', a call of {self.describe(node)}"
            f"{self.where(node)}: " + (why or "NDR has no op for it (it takes Linear, "
            "LayerNorm, BatchNorm1d, Dropout, ReLU, GELU, Tanh, Sigmoid, SiLU, their "
            "F.* forms, +, *, torch.add, torch.mul and the usual RMSNorm)"))

    # ---- the graph ----------------------------------------------------------
    def run(self):
        inputs, outputs = [], []
        out_node = next(n for n in self.gm.graph.nodes if n.op == "output")
        out_names = self.output_names(out_node)
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                meta = node.meta.get("tensor_meta")
                if meta is None:
                    raise UnsupportedError(f"input '{node.target}' has no example tensor")
                self.names[node] = self.fresh(node.target)
                inputs.append(f"{self.names[node]}: "
                              f"{self.type_of(_Meta(meta), f'input {node.target!r}')}")
        self.match_rms_norms()
        for node in self.gm.graph.nodes:
            if node.op in ("placeholder", "output") or node in self.absorbed:
                continue
            if node.op == "get_attr":
                tensor = _attr(self.gm, node.target)
                self.names[node] = self.param(node.target, tensor)
                continue
            expr = self.expression(node)
            if isinstance(expr, _Alias):
                self.names[node] = expr.name
                continue
            name = out_names.get(node) or self.fresh(node.meta.get("ndr_name", node.name))
            self.names[node] = name
            self.lines.append(f"  {name} = {expr}")
        for node, name in out_names.items():
            if self.names.get(node) != name:
                raise UnsupportedError(
                    f"output '{name}' is the model input, parameter or identity "
                    f"'{node.name}'; NDR's outputs are values the model computes")
        outputs = list(out_names.values())
        header = (f"// {self.class_name}, imported from PyTorch by ndr.from_torch; "
                  f"compile with mode=\"{self.mode}\".")
        source = "\n".join(
            [header, f"model {self.model_name}({', '.join(inputs)}) -> "
                     f"({', '.join(outputs)}) {{"]
            + self.param_lines + ([""] if self.param_lines else []) + self.lines + ["}", ""])
        return source, self.params

    def output_names(self, out_node):
        import torch.fx
        value = out_node.args[0]
        if isinstance(value, torch.fx.Node):
            items = [("y", value)]
        elif isinstance(value, (tuple, list)):
            items = [(f"y{i}", v) for i, v in enumerate(value)]
        elif isinstance(value, dict):
            items = [(str(k), v) for k, v in value.items()]
        else:
            raise UnsupportedError(f"the module returns {type(value).__name__}; "
                                   "NDR takes a tensor, a tuple or a dict of tensors")
        names = {}
        for base, node in items:
            if not isinstance(node, torch.fx.Node):
                raise UnsupportedError(f"output {base} is not a tensor of the model")
            if node in names:
                raise UnsupportedError(f"output {base} repeats an earlier output")
            names[node] = self.fresh(base)
        return names

    # ---- one node -----------------------------------------------------------
    def expression(self, node):
        if node.op == "call_module":
            return self.module_call(node, self.gm.get_submodule(node.target))
        if node.op in ("call_function", "call_method"):
            return self.function_call(node)
        raise self.unsupported(node)

    def module_call(self, node, sub):
        import torch.nn as nn
        x = self.value(node.args[0], node) if node.args else None
        path = node.target
        if len(node.args) != 1 or node.kwargs:
            raise self.unsupported(node, "takes one tensor argument")
        if isinstance(sub, nn.Linear):
            w = self.param(f"{path}.weight", sub.weight)
            if sub.bias is None:
                return f"linear({x}, {w})"
            return f"linear({x}, {w}, {self.param(f'{path}.bias', sub.bias, 'zeros')})"
        if isinstance(sub, nn.LayerNorm):
            if not sub.elementwise_affine:
                if len(sub.normalized_shape) != 1:
                    raise self.unsupported(node, "a LayerNorm over more than the last "
                                                 "dimension needs elementwise_affine")
                return f"layer_norm({x}, eps = {_number(sub.eps)})"
            g = self.param(f"{path}.weight", sub.weight, "ones")
            b = self.param(f"{path}.bias", sub.bias, "zeros")
            return f"layer_norm({x}, {g}, {b}, eps = {_number(sub.eps)})"
        if isinstance(sub, nn.BatchNorm1d):
            if not sub.track_running_stats or sub.running_mean is None:
                raise self.unsupported(node, "BatchNorm1d needs track_running_stats")
            if sub.momentum is None:
                raise self.unsupported(node, "BatchNorm1d with momentum=None (a "
                                             "cumulative average) has no NDR form")
            args = [x, self.param(f"{path}.running_mean", sub.running_mean, "zeros"),
                    self.param(f"{path}.running_var", sub.running_var, "ones")]
            if sub.affine:
                args += [self.param(f"{path}.weight", sub.weight, "ones"),
                         self.param(f"{path}.bias", sub.bias, "zeros")]
            return (f"batch_norm({', '.join(args)}, eps = {_number(sub.eps)}, "
                    f"momentum = {_number(sub.momentum)})")
        if isinstance(sub, nn.Dropout):
            return f"dropout({x}, p = {_number(sub.p)})"
        if isinstance(sub, nn.GELU):
            if sub.approximate == "tanh":
                return f"gelu({x}, approximate = tanh)"
            return f"gelu({x})"
        for cls, fn in ((nn.ReLU, "relu"), (nn.Tanh, "tanh"), (nn.Sigmoid, "sigmoid"),
                        (nn.SiLU, "silu")):
            if isinstance(sub, cls):
                return f"{fn}({x})"
        if isinstance(sub, nn.Identity):
            return _Alias(x)
        raise self.unsupported(node)

    def function_call(self, node):
        import torch
        import torch.nn.functional as F
        t, args, kw = node.target, node.args, dict(node.kwargs)
        method = node.op == "call_method"
        if t is _RmsNorm:
            return self.rms(node)

        def is_(*functions, names=()):
            return (t in names) if method else any(t is f for f in functions)

        if is_(operator.add, torch.add, names=("add",)) or \
                is_(operator.mul, torch.mul, names=("mul",)):
            op = "+" if is_(operator.add, torch.add, names=("add",)) else "*"
            if kw.pop("alpha", 1) != 1 or kw or len(args) != 2:
                raise self.unsupported(node, "takes two tensors (no alpha, no out)")
            a, b = args
            if not all(isinstance(v, torch.fx.Node) for v in (a, b)):
                raise self.unsupported(node, "an operand is a number; NDR's + and * "
                                             "take two tensors")
            return f"{self.value(a, node)} {op} {self.value(b, node)}"
        unary = [((F.relu, torch.relu), ("relu",), "relu"),
                 ((torch.tanh, F.tanh), ("tanh",), "tanh"),
                 ((torch.sigmoid, F.sigmoid), ("sigmoid",), "sigmoid"),
                 ((F.silu,), (), "silu")]
        for functions, names, fn in unary:
            if is_(*functions, names=names):
                kw.pop("inplace", None)
                if len(args) != 1 or kw:
                    raise self.unsupported(node, "takes one tensor argument")
                return f"{fn}({self.value(args[0], node)})"
        if is_(F.gelu, names=("gelu",)):
            approximate = kw.pop("approximate", args[1] if len(args) > 1 else "none")
            if kw or len(args) > 2 or approximate not in ("none", "tanh"):
                raise self.unsupported(node, "approximate must be 'none' or 'tanh'")
            x = self.value(args[0], node)
            return f"gelu({x}, approximate = tanh)" if approximate == "tanh" else f"gelu({x})"
        if is_(F.dropout):
            p = kw.pop("p", args[1] if len(args) > 1 else 0.5)
            training = kw.pop("training", args[2] if len(args) > 2 else True)
            kw.pop("inplace", None)
            if kw or not isinstance(p, (int, float)) or not isinstance(training, bool):
                raise self.unsupported(node, "p and training must be constants")
            x = self.value(args[0], node)
            return f"dropout({x}, p = {_number(p)})" if training else _Alias(x)
        if is_(F.linear):
            names = [self.value(a, node) for a in list(args) + list(kw.values())
                     if a is not None]
            return f"linear({', '.join(names)})"
        if is_(F.batch_norm):
            names = ["input", "running_mean", "running_var", "weight", "bias",
                     "training", "momentum", "eps"]
            defaults = [None, None, None, None, None, False, 0.1, 1e-5]
            a = dict(zip(names, defaults))
            a.update(zip(names, args))
            a.update(kw)
            if a["training"] != (self.mode == "train"):
                raise self.unsupported(node, f"training={a['training']} in a model "
                                             f"imported in {self.mode} mode")
            if a["running_mean"] is None or a["running_var"] is None or \
                    (a["bias"] is not None and a["weight"] is None) or \
                    not isinstance(a["momentum"], (int, float)):
                raise self.unsupported(node, "takes running statistics, a momentum, "
                                             "and a bias only with a weight")
            operands = [self.value(a[k], node) for k in names[:5] if a[k] is not None]
            return (f"batch_norm({', '.join(operands)}, eps = {_number(a['eps'])}, "
                    f"momentum = {_number(a['momentum'])})")
        if is_(F.layer_norm):
            x, shape = args[0], args[1]
            weight = kw.pop("weight", args[2] if len(args) > 2 else None)
            bias = kw.pop("bias", args[3] if len(args) > 3 else None)
            eps = kw.pop("eps", args[4] if len(args) > 4 else 1e-5)
            if kw or (weight is None and len(shape) != 1) or (bias is not None and weight is None):
                raise self.unsupported(node, "takes weight (for more than the last "
                                             "dimension) and bias only with weight")
            names = [self.value(v, node) for v in (x, weight, bias) if v is not None]
            return f"layer_norm({', '.join(names)}, eps = {_number(eps)})"
        raise self.unsupported(node)

    # ---- RMSNorm written out: x * rsqrt(mean(x^2, -1, keepdim) + eps) [* w] -----
    def match_rms_norms(self):
        for node in list(self.gm.graph.nodes):
            if _is_call(node, "rsqrt"):
                self.match_rms(node)

    def match_rms(self, rsqrt):
        import torch.fx
        Node = torch.fx.Node
        add = rsqrt.args[0] if len(rsqrt.args) == 1 else None
        if not (isinstance(add, Node) and _is_call(add, "add") and len(add.args) == 2):
            return
        mean, eps = add.args
        if not isinstance(mean, Node):
            mean, eps = eps, mean
        if not (isinstance(mean, Node) and isinstance(eps, (int, float))
                and _is_call(mean, "mean") and _mean_of_last(mean)):
            return
        square = mean.args[0]
        if not isinstance(square, Node):
            return
        if _is_call(square, "pow") and len(square.args) == 2 and square.args[1] == 2:
            x = square.args[0]
        elif _is_call(square, "mul") and len(square.args) == 2 and \
                square.args[0] is square.args[1]:
            x = square.args[0]
        else:
            return
        scale = _only_user(rsqrt)
        if not (scale is not None and _is_call(scale, "mul") and
                set(scale.args) == {x, rsqrt}):
            return
        chain = [square, mean, add, rsqrt]
        if any(_only_user(n) is None for n in chain):
            return
        result, weight = scale, None
        user = _only_user(scale)
        if user is not None and _is_call(user, "mul") and len(user.args) == 2:
            other = user.args[1] if user.args[0] is scale else user.args[0]
            if isinstance(other, Node) and other.op == "get_attr":
                tensor = _attr(self.gm, other.target)
                if tuple(tensor.shape) == tuple(x.meta["tensor_meta"].shape[-1:]):
                    result, weight = user, other
                    chain.append(scale)
        self.absorbed.update(chain)
        # Named after the module that computes it, when there is one.
        result.meta["ndr_name"] = rsqrt.meta.get("ndr_module", "rms_norm").replace(".", "_")
        result.target, result.op = _RmsNorm, "call_function"
        result.args, result.kwargs = (x, weight, float(eps)), {}

    def rms(self, node):
        x, weight, eps = node.args
        if weight is None:
            return f"rms_norm({self.value(x, node)}, eps = {_number(eps)})"
        w = self.names.get(weight) or self.param(weight.target, _attr(self.gm, weight.target))
        return f"rms_norm({self.value(x, node)}, {w}, eps = {_number(eps)})"


def _tracer():
    """A torch.fx tracer that records the stack of each node and the attribute
    path of the module whose forward() made it (node.meta["ndr_module"])."""
    import torch.fx

    class Tracer(torch.fx.Tracer):
        def __init__(self):
            super().__init__()
            self.record_stack_traces = True
            self.paths = []

        def call_module(self, m, forward, args, kwargs):
            self.paths.append(self.path_of_module(m))
            try:
                return super().call_module(m, forward, args, kwargs)
            finally:
                self.paths.pop()

        def create_node(self, *args, **kwargs):
            node = super().create_node(*args, **kwargs)
            if self.paths:
                node.meta["ndr_module"] = self.paths[-1]
            return node
    return Tracer()


class _Alias:
    """A node whose value is another's (an identity, dropout at training=False)."""
    def __init__(self, name):
        self.name = name


class _Meta:
    def __init__(self, meta):
        self.dtype, self.shape = meta.dtype, tuple(meta.shape)


def _RmsNorm(x, weight, eps):
    """Stands for a matched RMSNorm in the graph (never called)."""
    raise NotImplementedError


def _attr(gm, path):
    obj = gm
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _is_call(node, name):
    import torch
    functions = {"add": (operator.add, torch.add), "mul": (operator.mul, torch.mul),
                 "pow": (operator.pow, torch.pow), "mean": (torch.mean,),
                 "rsqrt": (torch.rsqrt,)}
    if node.op == "call_method":
        return node.target == name
    return node.op == "call_function" and any(node.target is f for f in functions[name])


def _mean_of_last(mean):
    dim = mean.kwargs.get("dim", mean.args[1] if len(mean.args) > 1 else None)
    keepdim = mean.kwargs.get("keepdim", mean.args[2] if len(mean.args) > 2 else False)
    rank = len(mean.args[0].meta["tensor_meta"].shape) if "tensor_meta" in mean.args[0].meta else None
    if isinstance(dim, (tuple, list)) and len(dim) == 1:
        dim = dim[0]
    return keepdim is True and (dim == -1 or (rank is not None and dim == rank - 1))


def _only_user(node):
    users = list(node.users)
    return users[0] if len(users) == 1 else None
