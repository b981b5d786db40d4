/* ndr_runtime.h - the C ABI of libndr_runtime.
 *
 * Generated model code and generated executables call these functions. Plain C,
 * no MLIR dependency. Functions that can fail return an ndr_status and, on
 * failure, set a one-line message for the calling thread (ndr_last_error).
 * Everything assumes a little-endian host, as the file formats do.
 */
#ifndef NDR_RUNTIME_H
#define NDR_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes and messages ------------------------------------------ */

/* Every failure has a status and a one-line message. The values are stable:
 * a generated executable exits with the status of its failure, and
 * docs/errors.md lists them with what to do about each. */
typedef enum ndr_status {
  NDR_OK = 0,
  NDR_ERR_IO = 1,      /* a file cannot be opened, read, written or mapped */
  NDR_ERR_FORMAT = 2,  /* a file is malformed or truncated */
  NDR_ERR_SHAPE = 3,   /* a tensor has another shape than expected */
  NDR_ERR_DTYPE = 4,   /* a tensor has another element type than expected */
  NDR_ERR_MISSING = 5, /* a named tensor is absent */
  NDR_ERR_ARG = 6,     /* a caller passed an invalid argument (an executable:
                        * a bad command line) */
  NDR_ERR_NOMEM = 7,   /* memory allocation failed (host or device) */
  NDR_ERR_DEVICE = 8   /* a CUDA driver or cuBLAS call failed (the message
                        * names the call and the driver's error) */
} ndr_status;

/* The largest status: statuses are NDR_OK..NDR_STATUS_MAX. */
#define NDR_STATUS_MAX NDR_ERR_DEVICE

/* Short name of a status ("ok", "I/O error", "format error", ...; "unknown
 * status" for a value outside NDR_OK..NDR_STATUS_MAX). */
const char *ndr_status_name(ndr_status status);

/* The message of the last failure on this thread ("" if none). Successful
 * calls leave it unchanged; the pointer is valid until the next failure on
 * this thread. */
const char *ndr_last_error(void);

/* The status of that failure (NDR_OK if none): set with the message, so a
 * function that reports failure by returning NULL still has a status. */
ndr_status ndr_last_status(void);

/* Sets this thread's status and message (printf-style) and returns `status`,
 * so that generated code can report its own failures the same way. */
ndr_status ndr_set_error(ndr_status status, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Clears this thread's message and status. */
void ndr_clear_error(void);

/* ---- Element types --------------------------------------------------------- */

/* Models use F32, F16 and BF16; the others exist so that a safetensors file
 * holding other tensors (an I64 `num_batches_tracked`, say) still opens. */
typedef enum ndr_dtype {
  NDR_F32 = 0,
  NDR_F16,
  NDR_BF16,
  NDR_F64,
  NDR_I8,
  NDR_I16,
  NDR_I32,
  NDR_I64,
  NDR_U8,
  NDR_U16,
  NDR_U32,
  NDR_U64,
  NDR_BOOL,
  NDR_F8_E4M3,
  NDR_F8_E5M2
} ndr_dtype;

/* Bytes per element (0 for an invalid value). */
size_t ndr_dtype_size(ndr_dtype dtype);
/* "f32", "f16", "bf16", "f64", "i8", ..., "bool", "f8e4m3", "f8e5m2". */
const char *ndr_dtype_name(ndr_dtype dtype);

#define NDR_MAX_RANK 16

/* A tensor found in a file. For safetensors, `name` and `data` point into the
 * open file and live as long as it does. */
typedef struct ndr_tensor_info {
  const char *name;
  ndr_dtype dtype;
  int32_t rank;
  int64_t shape[NDR_MAX_RANK];
  const void *data;
  uint64_t nbytes;
} ndr_tensor_info;

/* ---- Aligned memory -------------------------------------------------------- */

#define NDR_ALIGNMENT 64

/* 64-byte aligned, uninitialized; NULL (NDR_ERR_NOMEM set) on failure. A size
 * of 0 gives a valid pointer that must still be freed. */
void *ndr_alloc(size_t bytes);
void ndr_free(void *ptr);

/* ---- Philox4x32-10 and the dropout mask (DESIGN.md section 5) ------------- */

void ndr_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2],
                       uint32_t out[4]);

/* lround((double)p * 65536): an element is dropped iff its 16-bit draw is
 * below it. p is clamped to [0, 1] (NaN counts as 0). */
uint32_t ndr_dropout_threshold(float p);

/* 1 if element `index` of the op with stream `stream` is kept, else 0. */
int ndr_dropout_keep(uint64_t seed, uint32_t stream, uint64_t index,
                     uint32_t threshold);

/* keep[i] = ndr_dropout_keep(seed, stream, i, ndr_dropout_threshold(p)) for
 * i in [0, n). */
void ndr_dropout_mask(uint64_t seed, uint32_t stream, uint64_t n, float p,
                      uint8_t *keep);

/* dst[i] = stddev * N(0, 1), by Box-Muller on Philox4x32-10 with key (seed lo,
 * seed hi) and counter (i/4 lo, i/4 hi, stream, 1); the last counter word
 * keeps these draws apart from the dropout masks of the same seed and stream.
 * Element i depends only on (seed, stream, i). */
void ndr_fill_normal(float *dst, int64_t n, float stddev, uint64_t seed,
                     uint32_t stream);

/* ---- f16 / bf16 conversion (round to nearest even) ------------------------ */

uint16_t ndr_f32_to_f16(float value);
float ndr_f16_to_f32(uint16_t bits);
uint16_t ndr_f32_to_bf16(float value);
float ndr_bf16_to_f32(uint16_t bits);

/* n elements between f32 and dtype (NDR_F32, NDR_F16 or NDR_BF16); other
 * dtypes give NDR_ERR_DTYPE. */
ndr_status ndr_convert_from_f32(const float *src, ndr_dtype dtype, void *dst,
                                int64_t n);
ndr_status ndr_convert_to_f32(const void *src, ndr_dtype dtype, float *dst,
                              int64_t n);

/* ---- .npy files -----------------------------------------------------------
 * Reads versions 1.0 and 2.0, writes 1.0; C order only. Dtypes: NDR_F32 is
 * '<f4', NDR_F16 is '<f2', and NDR_BF16, which numpy lacks, is '<u2' holding
 * the raw bf16 bits (numpy: `(a.view(np.uint32) >> 16).astype(np.uint16)`
 * truncates, ml_dtypes: `a.astype(bfloat16).view(np.uint16)` rounds). */

/* Reads a file that must hold exactly `dtype` and shape[0..rank) into `dst`
 * (product(shape) * ndr_dtype_size(dtype) bytes). */
ndr_status ndr_npy_read(const char *path, ndr_dtype dtype, int32_t rank,
                        const int64_t *shape, void *dst);

/* Reads any supported file: fills `info` (name NULL) and returns its data in
 * *data, allocated with ndr_alloc (free with ndr_free). */
ndr_status ndr_npy_load(const char *path, ndr_tensor_info *info, void **data);

ndr_status ndr_npy_write(const char *path, ndr_dtype dtype, int32_t rank,
                         const int64_t *shape, const void *data);

/* ---- safetensors files ----------------------------------------------------
 * The file is memory-mapped and fully validated on open: header syntax, known
 * dtypes, sizes = product(shape) * dtype size, offsets that tile the data
 * buffer exactly (no gaps, no overlaps, nothing out of range), unique names.
 * Tensor data is only as aligned as the file makes it (safetensors promises
 * nothing); ndr_safetensors_read copies into aligned memory. */

typedef struct ndr_safetensors ndr_safetensors;

ndr_status ndr_safetensors_open(const char *path, ndr_safetensors **out);
void ndr_safetensors_close(ndr_safetensors *file);

int64_t ndr_safetensors_count(const ndr_safetensors *file);
/* Tensor `index` in [0, count), in the order of the data buffer. */
ndr_status ndr_safetensors_entry(const ndr_safetensors *file, int64_t index,
                                 ndr_tensor_info *info);
/* NDR_ERR_MISSING, naming the tensor, when absent. */
ndr_status ndr_safetensors_find(const ndr_safetensors *file, const char *name,
                                ndr_tensor_info *info);
/* Looks `name` up and checks its dtype and shape; *data points into the
 * mapping. */
ndr_status ndr_safetensors_get(const ndr_safetensors *file, const char *name,
                               ndr_dtype dtype, int32_t rank,
                               const int64_t *shape, const void **data);
/* As ndr_safetensors_get, but copies the data into `dst`. */
ndr_status ndr_safetensors_read(const ndr_safetensors *file, const char *name,
                                ndr_dtype dtype, int32_t rank,
                                const int64_t *shape, void *dst);
/* The value of a "__metadata__" key, or NULL. */
const char *ndr_safetensors_metadata(const ndr_safetensors *file,
                                     const char *key);

typedef struct ndr_safetensors_tensor {
  const char *name;
  ndr_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  const void *data;
} ndr_safetensors_tensor;

/* Writes the tensors in the given order, with optional metadata given as
 * `metadata_count` key/value pairs: metadata[2k] is a key, metadata[2k+1]
 * its value. */
ndr_status ndr_safetensors_write(const char *path,
                                 const ndr_safetensors_tensor *tensors,
                                 int64_t count, const char *const *metadata,
                                 int64_t metadata_count);

/* ---- Threads ---------------------------------------------------------------
 * One process-wide pool, started on first use, with ndr_num_threads() - 1
 * workers; the calling thread works too. The count is NDR_NUM_THREADS when
 * that is an integer in [1, 1024], else the hardware concurrency. */

int ndr_num_threads(void);

/* Calls fn(ctx, begin, end) on disjoint ranges that cover [0, n) and returns
 * when all have finished. Safe to call from several threads at once; a call
 * made from inside fn runs inline on its thread. */
void ndr_parallel_for(int64_t n, void (*fn)(void *ctx, int64_t begin,
                                            int64_t end),
                      void *ctx);

/* ---- Linear through BLAS ------------------------------------------------ */

/* y[rows, out] = x[rows, in] * w[out, in]^T (+ b[out]), f32, row-major,
 * through oneDNN's sgemm. Generated code calls them for f32 ndr.linear
 * when ndrc links the runtime. */
void ndr_linear_f32(const float *x, const float *w, float *y, int64_t rows,
                    int64_t in, int64_t out);
void ndr_linear_bias_f32(const float *x, const float *w, const float *b,
                         float *y, int64_t rows, int64_t in, int64_t out);

/* The same without the bias on a CUDA device, through cuBLAS (libcublas,
 * opened with dlopen on first use): y = x * w^T on device buffers (f16 and
 * bf16 as their bits; f32 accumulation, no TF32), enqueued on `stream` (a
 * CUstream). Generated code of the CUDA target calls them during a run
 * (the bias is a kernel of its own); a failure is the run's status
 * (NDR_ERR_IO when cuBLAS cannot be loaded, NDR_ERR_DEVICE when it fails).
 * Under the emulator (NDR_CUDA_EMULATE=1) they compute on the host in a
 * loop nest. */
void ndr_cuda_linear_f32(const float *x, const float *w, float *y, int64_t rows,
                         int64_t in, int64_t out, void *stream);
void ndr_cuda_linear_f16(const uint16_t *x, const uint16_t *w, uint16_t *y,
                         int64_t rows, int64_t in, int64_t out, void *stream);
void ndr_cuda_linear_bf16(const uint16_t *x, const uint16_t *w, uint16_t *y,
                          int64_t rows, int64_t in, int64_t out, void *stream);

#ifdef __cplusplus
}
#endif

#endif /* NDR_RUNTIME_H */
