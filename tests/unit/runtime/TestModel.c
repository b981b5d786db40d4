/* TestModel.c - a model descriptor in C, as ndrc's generated C file holds
 * one, with hand-written init and run functions standing in for compiled
 * code:
 *   inputs x: f32[2, 3]
 *   params w: f32[3] = normal(0.5), g: bf16[3] = ones, b: f16[3] = zeros
 *   derived d = 2 * w (init)
 *   outputs y = (x * w + d) * g + b, z: f32[1] = seed
 * Both functions count their calls and check that every buffer they get
 * from the model host is 64-byte aligned. */
#include "TestModel.h"

static const int64_t xShape[] = {2, 3};
static const int64_t vecShape[] = {3};
static const int64_t zShape[] = {1};

static const ndr_tensor_desc inputs[] = {
    {"x", NDR_F32, 2, xShape, NDR_INIT_NONE, 0.0f}};
static const ndr_tensor_desc params[] = {
    {"w", NDR_F32, 1, vecShape, NDR_INIT_NORMAL, 0.5f},
    {"g", NDR_BF16, 1, vecShape, NDR_INIT_ONES, 0.0f},
    {"b", NDR_F16, 1, vecShape, NDR_INIT_ZEROS, 0.0f}};
static const ndr_tensor_desc derived[] = {
    {"d", NDR_F32, 1, vecShape, NDR_INIT_NONE, 0.0f}};
static const ndr_tensor_desc outputs[] = {
    {"y", NDR_F32, 2, xShape, NDR_INIT_NONE, 0.0f},
    {"z", NDR_F32, 1, zShape, NDR_INIT_NONE, 0.0f}};

static int initCalls, runCalls, misaligned;

static void checkAligned(void **buffers, int first, int end) {
  for (int i = first; i < end; ++i)
    if ((uintptr_t)buffers[i] % NDR_ALIGNMENT != 0)
      __atomic_fetch_add(&misaligned, 1, __ATOMIC_RELAXED);
}

/* buffers: w, g, b, d */
static void testInit(void **buffers) {
  const float *w = (const float *)buffers[0];
  float *d = (float *)buffers[3];
  checkAligned(buffers, 0, 4);
  for (int j = 0; j < 3; ++j)
    d[j] = 2.0f * w[j];
  __atomic_fetch_add(&initCalls, 1, __ATOMIC_RELAXED);
}

/* buffers: x, w, g, b, d, y, z */
static void testRun(void **buffers, uint64_t seed) {
  const float *x = (const float *)buffers[0];
  const float *w = (const float *)buffers[1];
  const uint16_t *g = (const uint16_t *)buffers[2];
  const uint16_t *b = (const uint16_t *)buffers[3];
  const float *d = (const float *)buffers[4];
  float *y = (float *)buffers[5];
  float *z = (float *)buffers[6];
  checkAligned(buffers, 1, 5);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      y[i * 3 + j] = (x[i * 3 + j] * w[j] + d[j]) * ndr_bf16_to_f32(g[j]) +
                     ndr_f16_to_f32(b[j]);
  z[0] = (float)seed;
  __atomic_fetch_add(&runCalls, 1, __ATOMIC_RELAXED);
}

const ndr_model_desc ndr_test_model = {
    "test", 1, 3, 1, 2, inputs, params, derived, outputs, testInit, testRun};

int ndr_test_model_init_calls(void) {
  return __atomic_load_n(&initCalls, __ATOMIC_RELAXED);
}
int ndr_test_model_run_calls(void) {
  return __atomic_load_n(&runCalls, __ATOMIC_RELAXED);
}
int ndr_test_model_misaligned(void) {
  return __atomic_load_n(&misaligned, __ATOMIC_RELAXED);
}
