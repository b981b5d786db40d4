// cuda_run.h - what a CUDA run's runtime calls share (not installed).
//
// Generated code calls back into the runtime during a run (ndr_cuda_linear)
// with no handle of its own: the run's state is found through the thread,
// which the model host sets for the duration of the run.
#ifndef NDR_RUNTIME_CUDA_RUN_H
#define NDR_RUNTIME_CUDA_RUN_H

namespace ndr_rt::cuda {

// Per run context of a model: a cuBLAS handle, made on first use (a handle
// must not be used by two threads at once; a context serves one run at a
// time).
struct RunState {
  void *cublas = nullptr;
};

// The RunState of the run in progress on this thread.
class RunScope {
public:
  explicit RunScope(RunState &state);
  ~RunScope();
  static RunState *current();

private:
  RunState *previous;
};

// Destroys what the state holds (cublas.cpp).
void releaseRunState(RunState &state);

} // namespace ndr_rt::cuda

#endif // NDR_RUNTIME_CUDA_RUN_H
