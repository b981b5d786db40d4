/* TestModel.h - the hand-written model of TestModel.c. */
#ifndef NDR_TESTS_UNIT_RUNTIME_TESTMODEL_H
#define NDR_TESTS_UNIT_RUNTIME_TESTMODEL_H

#include "runtime/ndr_model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const ndr_model_desc ndr_test_model;

/* Calls of its init and run functions so far, and buffers seen unaligned. */
int ndr_test_model_init_calls(void);
int ndr_test_model_run_calls(void);
int ndr_test_model_misaligned(void);

#ifdef __cplusplus
}

#include <vector>

namespace ndr_test {
// The model's y for input x[2][3] and parameters w, g and b (as f32).
inline std::vector<float> expectedY(const float *x, const float *w, const float *g,
                                    const float *b) {
  std::vector<float> y(6);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      y[i * 3 + j] = (x[i * 3 + j] * w[j] + 2.0f * w[j]) * g[j] + b[j];
  return y;
}
} // namespace ndr_test
#endif

#endif /* NDR_TESTS_UNIT_RUNTIME_TESTMODEL_H */
