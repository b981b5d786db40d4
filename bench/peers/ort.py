"""ONNX Runtime peer (CPU execution provider).

Each workload is an ONNX graph built here with onnx.helper: the inputs x (and
r) are graph inputs, the parameters are initializers, as in an exported
model. Sessions use every graph optimization (ORT fuses e.g. Add +
LayerNormalization into SkipLayerNormalization by itself, but only for 3D
inputs: here in W6, not in W1-W3); where ORT has a fused com.microsoft op, a
second variant calls it directly. Measured here (ORT 1.32): the float CPU
SkipLayerNormalization kernel is a scalar loop with a division per element,
about 3x slower than Add + LayerNormalization (MLAS); that is ORT's number.

Preallocation: inputs and the output are bound once with IOBinding to the
caller's arrays / a buffer made here, so a run copies and allocates nothing
outside ORT's own arena (temporaries between unfused nodes come from it).

Threads: intra_op_num_threads = threads, one inter-op thread, sequential.

Set NDR_PEERS_VERBOSE=1 to print the node types of each optimized graph.
"""

import os
import sys
import tempfile

import numpy as np

# The helpers beside this file, however it was loaded.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402


def available():
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except Exception as e:
        return False, "cannot import onnx / onnxruntime: %s" % e
    return True, ""


def _model(nodes, inputs, outputs, inits, opset=21):
    """An ONNX model: inputs/outputs {name: shape} (float32), inits {name: array}."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def vi(name, shape, elem=TensorProto.FLOAT):
        return helper.make_tensor_value_info(name, elem, list(shape))

    graph = helper.make_graph(
        nodes, "ndr_bench",
        [vi(n, s) for n, s in inputs.items()],
        [vi(n, s, TensorProto.BOOL if n == "mask" else TensorProto.FLOAT)
         for n, s in outputs.items()],
        [numpy_helper.from_array(np.asarray(v), n) for n, v in inits.items()])
    opsets = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
    # IR 10 goes with opsets up to 21, IR 11 with 23.
    model = helper.make_model(graph, opset_imports=opsets, ir_version=11 if opset >= 23 else 10)
    onnx.checker.check_model(model)
    return model


def _session(model, threads):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    dump = None
    if os.environ.get("NDR_PEERS_VERBOSE"):
        fd, dump = tempfile.mkstemp(suffix=".onnx")
        os.close(fd)
        so.optimized_model_filepath = dump
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    if dump:
        import onnx
        ops = [n.op_type for n in onnx.load(dump).graph.node]
        os.unlink(dump)
        sys.stderr.write("ort: optimized graph: %s\n" % " ".join(ops))
    return sess


def _bound(sess, feeds, out_shape, extra_outputs=()):
    """(fn, y): fn runs sess with feeds bound in place and y as its 'y' output."""
    io = sess.io_binding()
    for name, arr in feeds.items():
        io.bind_input(name, "cpu", 0, np.float32, list(arr.shape), arr.ctypes.data)
    y = np.empty(out_shape, np.float32)
    io.bind_output("y", "cpu", 0, np.float32, list(y.shape), y.ctypes.data)
    for name in extra_outputs:
        io.bind_output(name, "cpu")  # left to ORT (only in the replay sessions)
    keep_alive = (feeds, y)

    def fn():
        sess.run_with_iobinding(io)
        return keep_alive

    return fn, y, io


def _graphs(kind, wl, a):
    """[(impl name, nodes, inputs, inits, opset)] for a workload."""
    from onnx import helper

    N = helper.make_node
    eps = float(wl.get("eps", 1e-5))
    ms = {"domain": "com.microsoft"}
    if kind in ("add_ln", "add_bias_ln", "add_dropout_ln"):
        x = a["x"]
        io = {"x": x.shape, "r": x.shape}
        ln = {"gamma": _common.param(a, "gamma", "g"), "beta": _common.param(a, "beta", "b")}
        if kind == "add_ln":
            return [
                ("onnx ops", [N("Add", ["x", "r"], ["s"]),
                              N("LayerNormalization", ["s", "gamma", "beta"], ["y"], axis=-1,
                                epsilon=eps)], io, ln, 21),
                ("SkipLayerNorm", [N("SkipLayerNormalization", ["x", "r", "gamma", "beta"],
                                     ["y"], epsilon=eps, **ms)], io, ln, 21)]
        if kind == "add_bias_ln":
            inits = dict(ln, bias=a["bias"])
            return [
                ("onnx ops", [N("Add", ["x", "r"], ["s0"]), N("Add", ["s0", "bias"], ["s"]),
                              N("LayerNormalization", ["s", "gamma", "beta"], ["y"], axis=-1,
                                epsilon=eps)], io, inits, 21),
                # Inputs: input, skip, gamma, beta, bias: residual + bias + LN, one kernel.
                ("SkipLayerNorm", [N("SkipLayerNormalization",
                                     ["x", "r", "gamma", "beta", "bias"], ["y"], epsilon=eps,
                                     **ms)], io, inits, 21)]
        inits = dict(ln, ratio=np.array(float(wl.get("p", 0.1)), np.float32),
                     training=np.array(True))
        return [("onnx ops", [_dropout(N, "r", "d", []),
                              N("Add", ["x", "d"], ["s"]),
                              N("LayerNormalization", ["s", "gamma", "beta"], ["y"], axis=-1,
                                epsilon=eps)], io, inits, 21)]
    if kind == "add_rms":
        x = a["x"]
        io = {"x": x.shape, "r": x.shape}
        g = {"gamma": _common.param(a, "gamma", "g")}
        two = {"two": np.array(2.0, np.float32), "eps": np.array(eps, np.float32),
               "axes": np.array([-1], np.int64)}
        return [
            # The standard op (opset 23). ORT 1.32 no longer registers its older
            # SimplifiedLayerNormalization (onnx domain), so that has no variant.
            ("RMSNormalization", [N("Add", ["x", "r"], ["s"]),
                                  N("RMSNormalization", ["s", "gamma"], ["y"], axis=-1,
                                    epsilon=eps)], io, g, 23),
            ("SkipSimplifiedLN", [N("SkipSimplifiedLayerNormalization", ["x", "r", "gamma"],
                                    ["y"], epsilon=eps, **ms)], io, g, 21),
            # The hand-written RMSNorm as torch.onnx exports it; ORT may fuse it.
            ("decomposed", [N("Add", ["x", "r"], ["s"]), N("Pow", ["s", "two"], ["sq"]),
                            N("ReduceMean", ["sq", "axes"], ["ms"], keepdims=1),
                            N("Add", ["ms", "eps"], ["mse"]), N("Sqrt", ["mse"], ["rms"]),
                            N("Reciprocal", ["rms"], ["inv"]), N("Mul", ["s", "inv"], ["n"]),
                            N("Mul", ["n", "gamma"], ["y"])], io, dict(g, **two), 21)]
    if kind == "bn":
        x = a["x"]
        if wl.get("axis", -1 if x.ndim == 2 else 1) % x.ndim != 1:
            return []  # ONNX BatchNormalization has channels on axis 1 ([N, C] or NCHW)
        inits = {k: a[k] for k in ("gamma", "beta", "mean", "var")}
        return [("BatchNormalization",
                 [N("BatchNormalization", ["x", "gamma", "beta", "mean", "var"], ["y"],
                    epsilon=eps)], {"x": x.shape}, inits, 21)]
    if kind == "ffn_post_ln":
        x = a["x"]
        inits = {"w1t": np.ascontiguousarray(a["w1"].T), "b1": a["b1"],
                 "w2t": np.ascontiguousarray(a["w2"].T), "b2": a["b2"],
                 "g": a["g"], "b": a["b"]}
        return [("onnx ops",
                 [N("MatMul", ["x", "w1t"], ["h0"]), N("Add", ["h0", "b1"], ["h1"]),
                  N("Gelu", ["h1"], ["h"], approximate="none"),  # exact, opset 20
                  N("MatMul", ["h", "w2t"], ["o0"]), N("Add", ["o0", "b2"], ["o"]),
                  N("Add", ["x", "o"], ["s"]),
                  N("LayerNormalization", ["s", "g", "b"], ["y"], axis=-1, epsilon=eps)],
                 {"x": x.shape}, inits, 21)]
    return []


DROPOUT_SEED = 1234


def _dropout(N, src, dst, mask_out):
    # A fixed seed, so that a second session with the same seed replays the masks.
    return N("Dropout", [src, "ratio", "training"], [dst] + mask_out, seed=DROPOUT_SEED)


def runners(wl_name, wl, arrays, threads):
    from onnx import helper

    kind = _common.kind(wl_name, wl)
    a = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()}
    out = {}
    for impl, nodes, inputs, inits, opset in _graphs(kind, wl, a):
        try:
            sess = _session(_model(nodes, inputs, {"y": a["x"].shape}, inits, opset), threads)
        except Exception as e:  # an op this ORT build lacks: skip that variant
            sys.stderr.write("ort: %s %s unavailable: %s\n" % (wl_name, impl,
                                                              str(e).splitlines()[0][:200]))
            continue
        run, y, _ = _bound(sess, {n: a[n] for n in inputs}, a["x"].shape)
        if kind != "add_dropout_ln":
            out[impl] = (run, lambda y=y: y)
            continue

        # W2: ORT's CPU Dropout draws from a generator seeded by the seed
        # attribute, one draw per run. The keep mask of the n-th run is
        # recovered by a Dropout-only session with the same seed, run n times.
        calls = [0]

        def fn(run=run):
            calls[0] += 1
            run()

        def get_output(y=y, r=a["r"], inits=inits):
            model = _model([_dropout(helper.make_node, "r", "y", ["mask"])],
                           {"r": r.shape}, {"y": r.shape, "mask": r.shape},
                           {k: inits[k] for k in ("ratio", "training")})
            replay = _session(model, threads)
            run2, _, io2 = _bound(replay, {"r": r}, r.shape, extra_outputs=["mask"])
            for _ in range(calls[0]):
                run2()
            return y, io2.copy_outputs_to_cpu()[1].astype(bool)

        out[impl] = (fn, get_output)
    return out
