// The oneDNN peer: the benchmark's workloads written as chains of oneDNN
// primitives, built once into a "plan" and run from Python through ctypes
// (bench/peers/onednn.py). Built by setup_peers.sh against Debian's libdnnl
// (oneDNN 2.6, OpenMP threading: the thread count is OpenMP's).
//
// A plan is a list of primitives and their arguments. The buffers the caller
// owns (inputs, parameters, temporaries, output) are "slots": oneDNN memory
// objects without a buffer of their own, pointed at the caller's arrays at
// every run with set_data_handle (cheap), so nothing is allocated or copied
// per run. Weights of the FFN are the exception: reordered once into the
// layout the matmul prefers (ndr_dnnl_ffn_pack), as an inference engine does.
//
// C ABI, every function returns NULL / nonzero on error and
// ndr_dnnl_last_error() says why.

#include <dnnl.hpp>
#include <omp.h>

#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

std::string g_error;

struct Step {
  primitive prim;
  std::unordered_map<int, memory> args;
};

struct Plan {
  engine eng{engine::kind::cpu, 0};
  stream strm{eng};
  std::vector<Step> steps;
  // slots[i]: every memory object that views the caller's i-th pointer.
  std::vector<std::vector<memory>> slots;
  // FFN only: the user-layout weight descs, the packed copies, and their reorders.
  memory::desc w1_user, w2_user;
  memory w1_packed, w2_packed;

  // A memory object over slot i (created without a buffer; bound at run time).
  memory slot(size_t i, const memory::desc &md) {
    if (slots.size() <= i) slots.resize(i + 1);
    memory m(md, eng, DNNL_MEMORY_NONE);
    slots[i].push_back(m);
    return m;
  }
};

memory::desc md2(memory::dim rows, memory::dim cols) { return {{rows, cols}, dt::f32, tag::ab}; }
memory::desc md1(memory::dim n) { return {{n}, dt::f32, tag::a}; }

// Layer normalization over the last dim of [rows, cols], scale and shift, inference.
Step layer_norm(Plan &p, memory::dim rows, memory::dim cols, float eps, size_t src, size_t g,
                size_t b, size_t dst) {
  auto d = md2(rows, cols);
  layer_normalization_forward::desc desc(prop_kind::forward_inference, d, eps,
                                         normalization_flags::use_scale |
                                             normalization_flags::use_shift);
  layer_normalization_forward::primitive_desc pd(desc, p.eng);
  return {layer_normalization_forward(pd),
          {{DNNL_ARG_SRC, p.slot(src, d)},
           {DNNL_ARG_SCALE, p.slot(g, md1(cols))},
           {DNNL_ARG_SHIFT, p.slot(b, md1(cols))},
           {DNNL_ARG_DST, p.slot(dst, d)}}};
}

}  // namespace

extern "C" {

const char *ndr_dnnl_last_error() { return g_error.c_str(); }

// OpenMP decides oneDNN's threads; returns the count now in force.
int ndr_dnnl_set_threads(int n) {
  if (n > 0) omp_set_num_threads(n);
  return omp_get_max_threads();
}

// y = LN(x + r [+ bias]). Slots: 0 x, 1 r, 2 bias (ignored without bias),
// 3 gamma, 4 beta, 5 s (temporary [rows, cols]), 6 y.
// The add is one binary primitive; the bias rides on it as a binary post-op,
// so W3 is still two passes (add, then layer norm), like W1.
void *ndr_dnnl_add_ln(long rows, long cols, float eps, int with_bias) {
  try {
    auto *p = new Plan;
    auto d = md2(rows, cols);
    primitive_attr attr;
    if (with_bias) {
      post_ops po;
      po.append_binary(algorithm::binary_add, md2(1, cols));  // broadcast over rows
      attr.set_post_ops(po);
    }
    binary::desc add_desc(algorithm::binary_add, d, d, d);
    binary::primitive_desc add_pd(add_desc, attr, p->eng);
    Step add{binary(add_pd),
             {{DNNL_ARG_SRC_0, p->slot(0, d)},
              {DNNL_ARG_SRC_1, p->slot(1, d)},
              {DNNL_ARG_DST, p->slot(5, d)}}};
    if (with_bias)
      add.args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = p->slot(2, md2(1, cols));
    p->steps.push_back(add);
    p->steps.push_back(layer_norm(*p, rows, cols, eps, 5, 3, 4, 6));
    return p;
  } catch (std::exception &e) {
    g_error = e.what();
    return nullptr;
  }
}

// Batch normalization, inference (running statistics). h == 0: x is [n, c]
// (channels last, format nc); else x is [n, c, h, w] in NCHW (nhwc != 0: NHWC).
// Slots: 0 x, 1 mean, 2 var, 3 gamma, 4 beta, 5 y.
void *ndr_dnnl_bn(long n, long c, long h, long w, float eps, int nhwc) {
  try {
    auto *p = new Plan;
    memory::desc d = h == 0 ? md2(n, c)
                            : memory::desc({n, c, h, w}, dt::f32, nhwc ? tag::nhwc : tag::nchw);
    batch_normalization_forward::desc desc(
        prop_kind::forward_inference, d, eps,
        normalization_flags::use_global_stats | normalization_flags::use_scale |
            normalization_flags::use_shift);
    batch_normalization_forward::primitive_desc pd(desc, p->eng);
    p->steps.push_back({batch_normalization_forward(pd),
                        {{DNNL_ARG_SRC, p->slot(0, d)},
                         {DNNL_ARG_MEAN, p->slot(1, md1(c))},
                         {DNNL_ARG_VARIANCE, p->slot(2, md1(c))},
                         {DNNL_ARG_SCALE, p->slot(3, md1(c))},
                         {DNNL_ARG_SHIFT, p->slot(4, md1(c))},
                         {DNNL_ARG_DST, p->slot(5, d)}}});
    return p;
  } catch (std::exception &e) {
    g_error = e.what();
    return nullptr;
  }
}

// Post-norm FFN, inference: y = LN(x + (gelu(x W1^T + b1) W2^T + b2)).
// x [rows, d], W1 [dff, d], W2 [d, dff] (PyTorch's Linear layout).
// matmul 1 fuses bias and exact GELU (eltwise post-op); matmul 2 fuses bias and
// the residual add (binary post-op); then layer norm.
// Slots: 0 x, 1 b1, 2 b2, 3 gamma, 4 beta, 5 h (temporary [rows, dff]),
// 6 s (temporary [rows, d]), 7 y. Call ndr_dnnl_ffn_pack once before running.
void *ndr_dnnl_ffn(long rows, long d, long dff, float eps) {
  try {
    auto *p = new Plan;
    auto any_w1 = memory::desc({d, dff}, dt::f32, tag::any);
    auto any_w2 = memory::desc({dff, d}, dt::f32, tag::any);
    // W1 [dff, d] row-major is the [d, dff] matrix stored transposed: tag ba.
    p->w1_user = memory::desc({d, dff}, dt::f32, tag::ba);
    p->w2_user = memory::desc({dff, d}, dt::f32, tag::ba);

    post_ops po1;
    po1.append_eltwise(1.f, algorithm::eltwise_gelu_erf, 0.f, 0.f);
    primitive_attr a1;
    a1.set_post_ops(po1);
    matmul::desc m1(md2(rows, d), any_w1, md2(1, dff), md2(rows, dff));
    matmul::primitive_desc pd1(m1, a1, p->eng);
    p->w1_packed = memory(pd1.weights_desc(), p->eng);

    post_ops po2;
    po2.append_binary(algorithm::binary_add, md2(rows, d));
    primitive_attr a2;
    a2.set_post_ops(po2);
    matmul::desc m2(md2(rows, dff), any_w2, md2(1, d), md2(rows, d));
    matmul::primitive_desc pd2(m2, a2, p->eng);
    p->w2_packed = memory(pd2.weights_desc(), p->eng);

    p->steps.push_back({matmul(pd1),
                        {{DNNL_ARG_SRC, p->slot(0, md2(rows, d))},
                         {DNNL_ARG_WEIGHTS, p->w1_packed},
                         {DNNL_ARG_BIAS, p->slot(1, md2(1, dff))},
                         {DNNL_ARG_DST, p->slot(5, md2(rows, dff))}}});
    p->steps.push_back({matmul(pd2),
                        {{DNNL_ARG_SRC, p->slot(5, md2(rows, dff))},
                         {DNNL_ARG_WEIGHTS, p->w2_packed},
                         {DNNL_ARG_BIAS, p->slot(2, md2(1, d))},
                         {DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1,
                          p->slot(0, md2(rows, d))},
                         {DNNL_ARG_DST, p->slot(6, md2(rows, d))}}});
    p->steps.push_back(layer_norm(*p, rows, d, eps, 6, 3, 4, 7));
    return p;
  } catch (std::exception &e) {
    g_error = e.what();
    return nullptr;
  }
}

// Reorder the user's W1, W2 into the matmuls' preferred layouts (once).
int ndr_dnnl_ffn_pack(void *plan, const float *w1, const float *w2) {
  try {
    auto *p = static_cast<Plan *>(plan);
    memory u1(p->w1_user, p->eng, const_cast<float *>(w1));
    memory u2(p->w2_user, p->eng, const_cast<float *>(w2));
    reorder(u1, p->w1_packed).execute(p->strm, u1, p->w1_packed);
    reorder(u2, p->w2_packed).execute(p->strm, u2, p->w2_packed);
    p->strm.wait();
    return 0;
  } catch (std::exception &e) {
    g_error = e.what();
    return 1;
  }
}

// Point the slots at ptrs[0..n) and run the plan to completion.
int ndr_dnnl_run(void *plan, void **ptrs, int n) {
  try {
    auto *p = static_cast<Plan *>(plan);
    if (n < (int)p->slots.size()) {
      g_error = "ndr_dnnl_run: " + std::to_string(p->slots.size()) + " pointers needed";
      return 1;
    }
    for (size_t i = 0; i < p->slots.size(); ++i)
      for (auto &m : p->slots[i]) m.set_data_handle(ptrs[i]);
    for (auto &s : p->steps) s.prim.execute(p->strm, s.args);
    p->strm.wait();
    return 0;
  } catch (std::exception &e) {
    g_error = e.what();
    return 1;
  }
}

void ndr_dnnl_destroy(void *plan) { delete static_cast<Plan *>(plan); }

}  // extern "C"
