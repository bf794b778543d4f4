/*
 * UniRL native kernels: matrix products on the system's BLAS and fused elementwise kernels, run
 * directly on tensors that live in the TensorFlow.js wasm backend's heap (no copies).
 *
 * Every entry point takes the heap (an ArrayBuffer or a typed array over it) and byte offsets into
 * it. Offsets and sizes are checked against the heap's length before anything is read or written,
 * so a stale or wrong offset becomes a JavaScript exception, never a crash. The JavaScript side
 * (daemon/compute/wasm-kernels.ts) allocates every output through the wasm backend first, because
 * an allocation may grow the heap and move it, and only then fetches the heap and calls in here.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef UNIRL_ACCELERATE
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

/* Hot loops are compiled for several x86 levels and picked at load time, so one build runs at full
 * width on the machine that built it and still runs anywhere else. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "arch=x86-64-v2", "default")))
#else
#define SIMD_CLONES
#endif

#define MAX_ARGS 24
#define MASKED (-1e9f)

typedef struct {
  uint8_t *base;
  size_t len;
  double v[MAX_ARGS];
} Args;

static bool throw_error(napi_env env, const char *msg) {
  napi_throw_error(env, "UNIRL_NATIVE", msg);
  return false;
}

/* Reads (heap, n numbers). */
static bool read_args(napi_env env, napi_callback_info info, size_t n, Args *a, const char *fn) {
  size_t argc = MAX_ARGS + 1;
  napi_value argv[MAX_ARGS + 1];
  char msg[160];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return throw_error(env, "bad call");
  if (argc != n + 1) {
    snprintf(msg, sizeof msg, "%s: expected %zu arguments, got %zu", fn, n + 1, argc);
    return throw_error(env, msg);
  }
  bool is_ab = false, is_ta = false;
  napi_is_arraybuffer(env, argv[0], &is_ab);
  if (is_ab) {
    void *data = NULL;
    size_t len = 0;
    if (napi_get_arraybuffer_info(env, argv[0], &data, &len) != napi_ok) return throw_error(env, "bad heap");
    a->base = data;
    a->len = len;
  } else {
    napi_is_typedarray(env, argv[0], &is_ta);
    if (!is_ta) {
      snprintf(msg, sizeof msg, "%s: the heap must be an ArrayBuffer or a typed array", fn);
      return throw_error(env, msg);
    }
    napi_typedarray_type type;
    size_t length = 0, offset = 0;
    void *data = NULL;
    napi_value ab;
    if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok) return throw_error(env, "bad heap");
    if (type != napi_uint8_array) {
      snprintf(msg, sizeof msg, "%s: the heap view must be a Uint8Array", fn);
      return throw_error(env, msg);
    }
    a->base = data;
    a->len = length;
  }
  if (a->base == NULL && a->len > 0) return throw_error(env, "detached heap");
  for (size_t i = 0; i < n; i++) {
    if (napi_get_value_double(env, argv[i + 1], &a->v[i]) != napi_ok) {
      snprintf(msg, sizeof msg, "%s: argument %zu must be a number", fn, i + 1);
      return throw_error(env, msg);
    }
  }
  return true;
}

/* A non-negative integer argument (dimensions, counts). */
static bool dim(napi_env env, double v, int64_t *out, const char *what) {
  char msg[160];
  if (!(v >= 0 && v <= 2147483647.0 && v == floor(v))) {
    snprintf(msg, sizeof msg, "%s must be a non-negative integer, got %g", what, v);
    return throw_error(env, msg);
  }
  *out = (int64_t)v;
  return true;
}

/* A 4-byte element region [off, off + count*4) inside the heap; NULL (with an exception) otherwise. */
static void *region(napi_env env, const Args *a, double off, int64_t count, const char *what) {
  char msg[200];
  if (!(off >= 0 && off == floor(off) && fmod(off, 4.0) == 0)) {
    snprintf(msg, sizeof msg, "%s: offset %g is not a 4-byte aligned heap offset", what, off);
    throw_error(env, msg);
    return NULL;
  }
  double end = off + (double)count * 4.0;
  if (count < 0 || end > (double)a->len) {
    snprintf(msg, sizeof msg, "%s: %lld elements at offset %g run past the heap (%zu bytes)", what,
             (long long)count, off, a->len);
    throw_error(env, msg);
    return NULL;
  }
  return a->base + (size_t)off;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static inline float as_float(int32_t i) {
  float f;
  memcpy(&f, &i, sizeof f);
  return f;
}

static inline int32_t as_int(float f) {
  int32_t i;
  memcpy(&i, &f, sizeof i);
  return i;
}

/* exp(x) in single precision (Cephes' polynomial, about 1 ulp), branch-free so loops over it
 * vectorize; rounds with the 1.5 * 2^23 shifter; exp of anything below -87.3 (including -inf) is
 * exactly 0. */
static inline float vexpf(float x) {
  const float lo = -87.3365447504f, hi = 88.0f, shifter = 12582912.0f;
  float xc = x < lo ? lo : x;
  xc = xc > hi ? hi : xc;
  float t = xc * 1.44269504088896341f + shifter;
  int32_t n = as_int(t) - as_int(shifter);
  float nf = t - shifter;
  float r = xc - nf * 0.693359375f + nf * 2.12194440e-4f;
  float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  float y = p * as_float((n + 127) << 23);
  return x < lo ? 0.0f : y;
}

static inline float vtanhf(float x) { return 1.0f - 2.0f / (vexpf(2.0f * x) + 1.0f); }

/* ---------------------------------------------------------------------------------------------- */
/* Matrix products                                                                                */

static void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
              alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

/* gemm(heap, batch, transA, transB, M, N, K, a, strideA, b, strideB, c, strideC, alpha, beta):
 * C[i] = alpha * op(A[i]) op(B[i]) + beta * C[i] for each batch i, row-major, strides in elements
 * (a stride of 0 broadcasts that operand). */
static napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 14, &a, "gemm")) return NULL;
  int64_t batch, m, n, k, sa, sb, sc;
  if (!dim(env, a.v[0], &batch, "batch") || !dim(env, a.v[3], &m, "M") || !dim(env, a.v[4], &n, "N") ||
      !dim(env, a.v[5], &k, "K") || !dim(env, a.v[7], &sa, "strideA") || !dim(env, a.v[9], &sb, "strideB") ||
      !dim(env, a.v[11], &sc, "strideC"))
    return NULL;
  bool ta = a.v[1] != 0, tb = a.v[2] != 0;
  if (batch == 0) return undefined(env);
  const float *pa = region(env, &a, a.v[6], (batch - 1) * sa + m * k, "gemm A");
  if (!pa) return NULL;
  const float *pb = region(env, &a, a.v[8], (batch - 1) * sb + k * n, "gemm B");
  if (!pb) return NULL;
  float *pc = region(env, &a, a.v[10], (batch - 1) * sc + m * n, "gemm C");
  if (!pc) return NULL;
  if (sc < m * n && batch > 1) {
    throw_error(env, "gemm: output batches overlap");
    return NULL;
  }
  float alpha = (float)a.v[12], beta = (float)a.v[13];
  int64_t lda = ta ? m : k, ldb = tb ? k : n;
  /* A batch of row-major products against one shared right operand is one tall product. */
  if (batch > 1 && sb == 0 && !ta && sa == m * k && sc == m * n) {
    sgemm(false, tb, batch * m, n, k, alpha, pa, lda, pb, ldb, beta, pc, n);
    return undefined(env);
  }
  for (int64_t i = 0; i < batch; i++)
    sgemm(ta, tb, m, n, k, alpha, pa + i * sa, lda, pb + i * sb, ldb, beta, pc + i * sc, n);
  return undefined(env);
}

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_LEAKYRELU = 4, ACT_PRELU = 5, ACT_SIGMOID = 6 };

/* biasAct(heap, c, batch, M, N, bias, bs0, bs1, bs2, act, alpha, prelu, ps0, ps1, ps2):
 * c[b,i,j] = act(c[b,i,j] + bias[b*bs0 + i*bs1 + j*bs2]); bias < 0 means none. The prelu weights
 * are indexed the same way with ps*. Strides of 0 broadcast. */
static napi_value BiasAct(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 14, &a, "biasAct")) return NULL;
  int64_t batch, m, n, bs0, bs1, bs2, act, ps0, ps1, ps2;
  if (!dim(env, a.v[1], &batch, "batch") || !dim(env, a.v[2], &m, "M") || !dim(env, a.v[3], &n, "N") ||
      !dim(env, a.v[5], &bs0, "bs0") || !dim(env, a.v[6], &bs1, "bs1") || !dim(env, a.v[7], &bs2, "bs2") ||
      !dim(env, a.v[8], &act, "activation") || !dim(env, a.v[11], &ps0, "ps0") || !dim(env, a.v[12], &ps1, "ps1") ||
      !dim(env, a.v[13], &ps2, "ps2"))
    return NULL;
  if (batch * m * n == 0) return undefined(env);
  float *c = region(env, &a, a.v[0], batch * m * n, "biasAct C");
  if (!c) return NULL;
  const float *bias = NULL, *prelu = NULL;
  if (a.v[4] >= 0) {
    bias = region(env, &a, a.v[4], (batch - 1) * bs0 + (m - 1) * bs1 + (n - 1) * bs2 + 1, "biasAct bias");
    if (!bias) return NULL;
  }
  if (act == ACT_PRELU) {
    prelu = region(env, &a, a.v[10], (batch - 1) * ps0 + (m - 1) * ps1 + (n - 1) * ps2 + 1, "biasAct prelu");
    if (!prelu) return NULL;
  } else if (act > ACT_SIGMOID) {
    throw_error(env, "biasAct: unknown activation");
    return NULL;
  }
  float alpha = (float)a.v[9];
  for (int64_t b = 0; b < batch; b++)
    for (int64_t i = 0; i < m; i++) {
      float *row = c + (b * m + i) * n;
      if (bias) {
        const float *br = bias + b * bs0 + i * bs1;
        for (int64_t j = 0; j < n; j++) row[j] += br[j * bs2];
      }
      switch (act) {
        case ACT_RELU:
          for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0 ? row[j] : 0;
          break;
        case ACT_RELU6:
          for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0 ? 0 : (row[j] > 6 ? 6 : row[j]);
          break;
        case ACT_ELU:
          for (int64_t j = 0; j < n; j++) row[j] = row[j] >= 0 ? row[j] : expf(row[j]) - 1;
          break;
        case ACT_LEAKYRELU:
          for (int64_t j = 0; j < n; j++) row[j] = row[j] >= 0 ? row[j] : alpha * row[j];
          break;
        case ACT_PRELU: {
          const float *pr = prelu + b * ps0 + i * ps1;
          for (int64_t j = 0; j < n; j++) row[j] = row[j] >= 0 ? row[j] : pr[j * ps2] * row[j];
          break;
        }
        case ACT_SIGMOID:
          for (int64_t j = 0; j < n; j++) row[j] = 1 / (1 + expf(-row[j]));
          break;
        default:
          break;
      }
    }
  return undefined(env);
}

/* colSum(heap, x, out, rows, cols): out[j] = sum_i x[i, j] (the gradient of a broadcast bias). */
SIMD_CLONES static void col_sum(const float *x, float *out, int64_t rows, int64_t cols) {
  memset(out, 0, (size_t)cols * sizeof(float));
  for (int64_t i = 0; i < rows; i++) {
    const float *r = x + i * cols;
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) out[j] += r[j];
  }
}

static napi_value ColSum(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 4, &a, "colSum")) return NULL;
  int64_t rows, cols;
  if (!dim(env, a.v[2], &rows, "rows") || !dim(env, a.v[3], &cols, "cols")) return NULL;
  const float *x = region(env, &a, a.v[0], rows * cols, "colSum x");
  if (!x) return NULL;
  float *out = region(env, &a, a.v[1], cols, "colSum out");
  if (!out) return NULL;
  col_sum(x, out, rows, cols);
  return undefined(env);
}

/* ---------------------------------------------------------------------------------------------- */
/* Layer norm over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta (biased variance). */

SIMD_CLONES static void layer_norm(const float *x, const float *g, const float *bt, float *y, float *mean,
                                   float *rstd, int64_t rows, int64_t cols, float eps) {
  for (int64_t i = 0; i < rows; i++) {
    const float *xr = x + i * cols;
    float *yr = y + i * cols;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < cols; j++) s += xr[j];
    float mu = s / (float)cols;
    float q = 0;
#pragma omp simd reduction(+ : q)
    for (int64_t j = 0; j < cols; j++) q += (xr[j] - mu) * (xr[j] - mu);
    float r = 1.0f / sqrtf(q / (float)cols + eps);
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) yr[j] = (xr[j] - mu) * r * g[j] + bt[j];
    mean[i] = mu;
    rstd[i] = r;
  }
}

SIMD_CLONES static void layer_norm_grad(const float *dy, const float *x, const float *g, const float *mean,
                                        const float *rstd, float *dx, float *dg, float *db, int64_t rows,
                                        int64_t cols) {
  memset(dg, 0, (size_t)cols * sizeof(float));
  memset(db, 0, (size_t)cols * sizeof(float));
  for (int64_t i = 0; i < rows; i++) {
    const float *xr = x + i * cols, *dyr = dy + i * cols;
    float *dxr = dx + i * cols;
    float mu = mean[i], r = rstd[i];
    float s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
    for (int64_t j = 0; j < cols; j++) {
      float xh = (xr[j] - mu) * r;
      float d = dyr[j] * g[j];
      s1 += d;
      s2 += d * xh;
      dg[j] += dyr[j] * xh;
      db[j] += dyr[j];
    }
    float m1 = s1 / (float)cols, m2 = s2 / (float)cols;
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) {
      float xh = (xr[j] - mu) * r;
      dxr[j] = r * (dyr[j] * g[j] - m1 - xh * m2);
    }
  }
}

/* layerNorm(heap, x, gamma, beta, y, mean, rstd, rows, cols, eps) */
static napi_value LayerNorm(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 9, &a, "layerNorm")) return NULL;
  int64_t rows, cols;
  if (!dim(env, a.v[6], &rows, "rows") || !dim(env, a.v[7], &cols, "cols")) return NULL;
  if (cols == 0) return throw_error(env, "layerNorm: zero-width rows"), NULL;
  const float *x = region(env, &a, a.v[0], rows * cols, "layerNorm x");
  const float *g = x ? region(env, &a, a.v[1], cols, "layerNorm gamma") : NULL;
  const float *b = g ? region(env, &a, a.v[2], cols, "layerNorm beta") : NULL;
  float *y = b ? region(env, &a, a.v[3], rows * cols, "layerNorm y") : NULL;
  float *mean = y ? region(env, &a, a.v[4], rows, "layerNorm mean") : NULL;
  float *rstd = mean ? region(env, &a, a.v[5], rows, "layerNorm rstd") : NULL;
  if (!rstd) return NULL;
  layer_norm(x, g, b, y, mean, rstd, rows, cols, (float)a.v[8]);
  return undefined(env);
}

/* layerNormGrad(heap, dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, cols) */
static napi_value LayerNormGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 10, &a, "layerNormGrad")) return NULL;
  int64_t rows, cols;
  if (!dim(env, a.v[8], &rows, "rows") || !dim(env, a.v[9], &cols, "cols")) return NULL;
  if (cols == 0) return throw_error(env, "layerNormGrad: zero-width rows"), NULL;
  const float *dy = region(env, &a, a.v[0], rows * cols, "layerNormGrad dy");
  const float *x = dy ? region(env, &a, a.v[1], rows * cols, "layerNormGrad x") : NULL;
  const float *g = x ? region(env, &a, a.v[2], cols, "layerNormGrad gamma") : NULL;
  const float *mean = g ? region(env, &a, a.v[3], rows, "layerNormGrad mean") : NULL;
  const float *rstd = mean ? region(env, &a, a.v[4], rows, "layerNormGrad rstd") : NULL;
  float *dx = rstd ? region(env, &a, a.v[5], rows * cols, "layerNormGrad dx") : NULL;
  float *dg = dx ? region(env, &a, a.v[6], cols, "layerNormGrad dgamma") : NULL;
  float *db = dg ? region(env, &a, a.v[7], cols, "layerNormGrad dbeta") : NULL;
  if (!db) return NULL;
  layer_norm_grad(dy, x, g, mean, rstd, dx, dg, db, rows, cols);
  return undefined(env);
}

/* ---------------------------------------------------------------------------------------------- */
/* GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).                               */

#define GELU_C 0.7978845608028654f
#define GELU_A 0.044715f

SIMD_CLONES static void gelu(const float *x, float *y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float t = vtanhf(GELU_C * (v + GELU_A * v * v * v));
    y[i] = 0.5f * v * (1.0f + t);
  }
}

SIMD_CLONES static void gelu_grad(const float *x, const float *dy, float *dx, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float t = vtanhf(GELU_C * (v + GELU_A * v * v * v));
    float d = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * GELU_C * (1.0f + 3.0f * GELU_A * v * v);
    dx[i] = dy[i] * d;
  }
}

/* gelu(heap, x, y, n) */
static napi_value Gelu(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 3, &a, "gelu")) return NULL;
  int64_t n;
  if (!dim(env, a.v[2], &n, "n")) return NULL;
  const float *x = region(env, &a, a.v[0], n, "gelu x");
  float *y = x ? region(env, &a, a.v[1], n, "gelu y") : NULL;
  if (!y) return NULL;
  gelu(x, y, n);
  return undefined(env);
}

/* geluGrad(heap, x, dy, dx, n) */
static napi_value GeluGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 4, &a, "geluGrad")) return NULL;
  int64_t n;
  if (!dim(env, a.v[3], &n, "n")) return NULL;
  const float *x = region(env, &a, a.v[0], n, "geluGrad x");
  const float *dy = x ? region(env, &a, a.v[1], n, "geluGrad dy") : NULL;
  float *dx = dy ? region(env, &a, a.v[2], n, "geluGrad dx") : NULL;
  if (!dx) return NULL;
  gelu_grad(x, dy, dx, n);
  return undefined(env);
}

/* ---------------------------------------------------------------------------------------------- */
/* Softmax cross-entropy per row: nll[i] = logsumexp(x[i]) - x[i, t[i]].                          */

SIMD_CLONES static void softmax_row(float *row, int64_t n) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < n; j++) mx = row[j] > mx ? row[j] : mx;
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; j++) {
    float e = vexpf(row[j] - mx);
    row[j] = e;
    s += e;
  }
  float inv = 1.0f / s;
#pragma omp simd
  for (int64_t j = 0; j < n; j++) row[j] *= inv;
}

SIMD_CLONES static float log_sum_exp(const float *row, int64_t n) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < n; j++) mx = row[j] > mx ? row[j] : mx;
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; j++) s += vexpf(row[j] - mx);
  return mx + logf(s);
}

SIMD_CLONES static void xent_grad_row(const float *x, float *dx, int64_t n, float lse, float d) {
#pragma omp simd
  for (int64_t j = 0; j < n; j++) dx[j] = d * vexpf(x[j] - lse);
}

static bool check_targets(napi_env env, const int32_t *t, int64_t rows, int64_t v) {
  for (int64_t i = 0; i < rows; i++)
    if (t[i] < 0 || t[i] >= v) {
      char msg[160];
      snprintf(msg, sizeof msg, "class id %d at row %lld is outside [0, %lld)", t[i], (long long)i, (long long)v);
      return throw_error(env, msg);
    }
  return true;
}

/* softmaxXent(heap, logits, targets, nll, lse, rows, classes) */
static napi_value SoftmaxXent(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 6, &a, "softmaxXent")) return NULL;
  int64_t rows, v;
  if (!dim(env, a.v[4], &rows, "rows") || !dim(env, a.v[5], &v, "classes")) return NULL;
  if (v == 0) return throw_error(env, "softmaxXent: zero classes"), NULL;
  const float *x = region(env, &a, a.v[0], rows * v, "softmaxXent logits");
  const int32_t *t = x ? region(env, &a, a.v[1], rows, "softmaxXent targets") : NULL;
  float *nll = t ? region(env, &a, a.v[2], rows, "softmaxXent nll") : NULL;
  float *lse = nll ? region(env, &a, a.v[3], rows, "softmaxXent lse") : NULL;
  if (!lse || !check_targets(env, t, rows, v)) return NULL;
  for (int64_t i = 0; i < rows; i++) {
    const float *r = x + i * v;
    lse[i] = log_sum_exp(r, v);
    nll[i] = lse[i] - r[t[i]];
  }
  return undefined(env);
}

/* softmaxXentGrad(heap, logits, targets, lse, dnll, dlogits, rows, classes) */
static napi_value SoftmaxXentGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 7, &a, "softmaxXentGrad")) return NULL;
  int64_t rows, v;
  if (!dim(env, a.v[5], &rows, "rows") || !dim(env, a.v[6], &v, "classes")) return NULL;
  const float *x = region(env, &a, a.v[0], rows * v, "softmaxXentGrad logits");
  const int32_t *t = x ? region(env, &a, a.v[1], rows, "softmaxXentGrad targets") : NULL;
  const float *lse = t ? region(env, &a, a.v[2], rows, "softmaxXentGrad lse") : NULL;
  const float *dn = lse ? region(env, &a, a.v[3], rows, "softmaxXentGrad dnll") : NULL;
  float *dx = dn ? region(env, &a, a.v[4], rows * v, "softmaxXentGrad dlogits") : NULL;
  if (!dx || !check_targets(env, t, rows, v)) return NULL;
  for (int64_t i = 0; i < rows; i++) {
    xent_grad_row(x + i * v, dx + i * v, v, lse[i], dn[i]);
    dx[i * v + t[i]] -= dn[i];
  }
  return undefined(env);
}

/* ---------------------------------------------------------------------------------------------- */
/* Multi-head attention on [B, T, H*Dh] tensors (heads split by stride, no transposes):
 * P = softmax(scale Q K^T + mask), O = P V, per batch and head. The probabilities are kept for the
 * backward pass ([B, H, Tq, Tk]). A mask value m adds (1 - m) * -1e9 to the score (the same as the
 * stock composition); causal drops key j > i + (Tk - Tq) exactly. */

/* Rows first_row.. of the scores: add the mask, drop keys past the causal limit, softmax. */
SIMD_CLONES static void mask_softmax_rows(float *p, int64_t rows, int64_t tk, const float *mask, bool causal,
                                          int64_t first_row, int64_t off) {
  for (int64_t r = 0; r < rows; r++) {
    float *row = p + r * tk;
    int64_t keep = tk;
    if (causal) {
      keep = first_row + r + off + 1;
      if (keep < 0) keep = 0;
      if (keep > tk) keep = tk;
    }
    if (mask) {
      const float *mr = mask + r * tk;
#pragma omp simd
      for (int64_t j = 0; j < keep; j++) row[j] += (1.0f - mr[j]) * MASKED;
    }
    for (int64_t j = keep; j < tk; j++) row[j] = 0.0f;
    if (keep > 0) softmax_row(row, keep);
  }
}

SIMD_CLONES static void softmax_grad_rows(const float *p, int64_t ldp, float *dp, int64_t lddp, int64_t rows, int64_t n,
                                          float scale) {
  for (int64_t i = 0; i < rows; i++) {
    const float *pr = p + i * ldp;
    float *dr = dp + i * lddp;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < n; j++) s += pr[j] * dr[j];
#pragma omp simd
    for (int64_t j = 0; j < n; j++) dr[j] = pr[j] * (dr[j] - s) * scale;
  }
}

/* Causal attention works on blocks of query rows, each against only the keys it can see, which
 * skips most of the masked upper triangle (a third of the work at T = 96). */
static int64_t row_blocks(bool causal, int64_t tq) { return causal && tq >= 64 ? (tq + 31) / 32 : 1; }

static int64_t visible_keys(bool causal, int64_t r1, int64_t tq, int64_t tk) {
  if (!causal) return tk;
  int64_t k = r1 + (tk - tq);
  return k < 0 ? 0 : (k > tk ? tk : k);
}

/* attention(heap, q, k, v, out, probs, B, H, Tq, Tk, Dh, scale, causal, mask, maskBatchStride) */
static napi_value Attention(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 14, &a, "attention")) return NULL;
  int64_t nb, nh, tq, tk, dh, msb;
  if (!dim(env, a.v[5], &nb, "B") || !dim(env, a.v[6], &nh, "H") || !dim(env, a.v[7], &tq, "Tq") ||
      !dim(env, a.v[8], &tk, "Tk") || !dim(env, a.v[9], &dh, "Dh") || !dim(env, a.v[13], &msb, "maskBatchStride"))
    return NULL;
  int64_t d = nh * dh;
  const float *q = region(env, &a, a.v[0], nb * tq * d, "attention q");
  const float *k = q ? region(env, &a, a.v[1], nb * tk * d, "attention k") : NULL;
  const float *v = k ? region(env, &a, a.v[2], nb * tk * d, "attention v") : NULL;
  float *out = v ? region(env, &a, a.v[3], nb * tq * d, "attention out") : NULL;
  float *probs = out ? region(env, &a, a.v[4], nb * nh * tq * tk, "attention probs") : NULL;
  if (!probs) return NULL;
  const float *mask = NULL;
  if (a.v[12] >= 0 && nb > 0) {
    mask = region(env, &a, a.v[12], (nb - 1) * msb + tq * tk, "attention mask");
    if (!mask) return NULL;
  }
  float scale = (float)a.v[10];
  bool causal = a.v[11] != 0;
  for (int64_t b = 0; b < nb; b++)
    for (int64_t h = 0; h < nh; h++) {
      const float *qb = q + b * tq * d + h * dh, *kb = k + b * tk * d + h * dh, *vb = v + b * tk * d + h * dh;
      float *p = probs + (b * nh + h) * tq * tk;
      float *ob = out + b * tq * d + h * dh;
      int64_t nblk = row_blocks(causal, tq);
      for (int64_t blk = 0; blk < nblk; blk++) {
        int64_t r0 = blk * tq / nblk, r1 = (blk + 1) * tq / nblk, rows = r1 - r0;
        int64_t kmax = visible_keys(causal, r1, tq, tk);
        float *pb = p + r0 * tk;
        sgemm(false, true, rows, kmax, dh, scale, qb + r0 * d, d, kb, d, 0.0f, pb, tk);
        mask_softmax_rows(pb, rows, tk, mask ? mask + b * msb + r0 * tk : NULL, causal, r0, tk - tq);
        sgemm(false, false, rows, dh, kmax, 1.0f, pb, tk, vb, d, 0.0f, ob + r0 * d, d);
      }
    }
  return undefined(env);
}

/* attentionGrad(heap, q, k, v, probs, dout, dq, dk, dv, B, H, Tq, Tk, Dh, scale, causal) */
static napi_value AttentionGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 15, &a, "attentionGrad")) return NULL;
  int64_t nb, nh, tq, tk, dh;
  if (!dim(env, a.v[8], &nb, "B") || !dim(env, a.v[9], &nh, "H") || !dim(env, a.v[10], &tq, "Tq") ||
      !dim(env, a.v[11], &tk, "Tk") || !dim(env, a.v[12], &dh, "Dh"))
    return NULL;
  int64_t d = nh * dh;
  const float *q = region(env, &a, a.v[0], nb * tq * d, "attentionGrad q");
  const float *k = q ? region(env, &a, a.v[1], nb * tk * d, "attentionGrad k") : NULL;
  const float *v = k ? region(env, &a, a.v[2], nb * tk * d, "attentionGrad v") : NULL;
  const float *probs = v ? region(env, &a, a.v[3], nb * nh * tq * tk, "attentionGrad probs") : NULL;
  const float *dout = probs ? region(env, &a, a.v[4], nb * tq * d, "attentionGrad dout") : NULL;
  float *dq = dout ? region(env, &a, a.v[5], nb * tq * d, "attentionGrad dq") : NULL;
  float *dk = dq ? region(env, &a, a.v[6], nb * tk * d, "attentionGrad dk") : NULL;
  float *dv = dk ? region(env, &a, a.v[7], nb * tk * d, "attentionGrad dv") : NULL;
  if (!dv) return NULL;
  float scale = (float)a.v[13];
  bool causal = a.v[14] != 0;
  float *dp = malloc((size_t)(tq * tk > 0 ? tq * tk : 1) * sizeof(float));
  if (!dp) return throw_error(env, "attentionGrad: out of memory"), NULL;
  /* dK and dV gather contributions from every row block. */
  memset(dk, 0, (size_t)(nb * tk * d) * sizeof(float));
  memset(dv, 0, (size_t)(nb * tk * d) * sizeof(float));
  int64_t nblk = row_blocks(causal, tq);
  for (int64_t b = 0; b < nb; b++)
    for (int64_t h = 0; h < nh; h++) {
      int64_t qo = b * tq * d + h * dh, ko = b * tk * d + h * dh;
      const float *p = probs + (b * nh + h) * tq * tk;
      for (int64_t blk = 0; blk < nblk; blk++) {
        int64_t r0 = blk * tq / nblk, r1 = (blk + 1) * tq / nblk, rows = r1 - r0;
        int64_t kmax = visible_keys(causal, r1, tq, tk);
        if (kmax == 0) {
          for (int64_t r = r0; r < r1; r++) memset(dq + qo + r * d, 0, (size_t)dh * sizeof(float));
          continue;
        }
        const float *pb = p + r0 * tk, *dob = dout + qo + r0 * d;
        sgemm(true, false, kmax, dh, rows, 1.0f, pb, tk, dob, d, 1.0f, dv + ko, d);
        sgemm(false, true, rows, kmax, dh, 1.0f, dob, d, v + ko, d, 0.0f, dp, kmax);
        softmax_grad_rows(pb, tk, dp, kmax, rows, kmax, scale);
        sgemm(false, false, rows, dh, kmax, 1.0f, dp, kmax, k + ko, d, 0.0f, dq + qo + r0 * d, d);
        sgemm(true, false, kmax, dh, rows, 1.0f, dp, kmax, q + qo + r0 * d, d, 1.0f, dk + ko, d);
      }
    }
  free(dp);
  return undefined(env);
}

/* ---------------------------------------------------------------------------------------------- */
/* Embedding gradient: dtable[ids[i]] += dy[i] (a scatter-add; the wasm backend has none).         */

/* embeddingGrad(heap, ids, dy, dtable, N, V, D) */
static napi_value EmbeddingGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 6, &a, "embeddingGrad")) return NULL;
  int64_t n, v, d;
  if (!dim(env, a.v[3], &n, "N") || !dim(env, a.v[4], &v, "V") || !dim(env, a.v[5], &d, "D")) return NULL;
  const int32_t *ids = region(env, &a, a.v[0], n, "embeddingGrad ids");
  const float *dy = ids ? region(env, &a, a.v[1], n * d, "embeddingGrad dy") : NULL;
  float *dt = dy ? region(env, &a, a.v[2], v * d, "embeddingGrad dtable") : NULL;
  if (!dt || !check_targets(env, ids, n, v)) return NULL;
  memset(dt, 0, (size_t)(v * d) * sizeof(float));
  for (int64_t i = 0; i < n; i++) {
    float *row = dt + (int64_t)ids[i] * d;
    const float *src = dy + i * d;
    for (int64_t j = 0; j < d; j++) row[j] += src[j];
  }
  return undefined(env);
}

/* embedding(heap, table, ids, out, N, V, D): out[i] = table[ids[i]] (the forward gather). */
static napi_value Embedding(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 6, &a, "embedding")) return NULL;
  int64_t n, v, d;
  if (!dim(env, a.v[3], &n, "N") || !dim(env, a.v[4], &v, "V") || !dim(env, a.v[5], &d, "D")) return NULL;
  const float *table = region(env, &a, a.v[0], v * d, "embedding table");
  const int32_t *ids = table ? region(env, &a, a.v[1], n, "embedding ids") : NULL;
  float *out = ids ? region(env, &a, a.v[2], n * d, "embedding out") : NULL;
  if (!out || !check_targets(env, ids, n, v)) return NULL;
  for (int64_t i = 0; i < n; i++) memcpy(out + i * d, table + (int64_t)ids[i] * d, (size_t)d * sizeof(float));
  return undefined(env);
}

/* ---------------------------------------------------------------------------------------------- */
/* Elementwise add, subtract, multiply, divide, where the smaller operand repeats along the leading */
/* axes of the larger (same shape, a bias or positional row, a scalar): out[i] = a[i % na] op b[i % nb]. */

enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3 };

#define BINARY_LOOP(EXPR)                                                                           \
  do {                                                                                               \
    if (na == n && nb == n) {                                                                        \
      _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                          \
        float x = a[i], y = b[i];                                                                    \
        out[i] = (EXPR);                                                                             \
      }                                                                                              \
    } else if (na == n) {                                                                            \
      for (int64_t o = 0; o < n; o += nb) {                                                          \
        const float *ar = a + o;                                                                     \
        float *orow = out + o;                                                                       \
        if (nb == 1) {                                                                               \
          float y = b[0];                                                                            \
          _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                      \
            float x = a[i];                                                                          \
            out[i] = (EXPR);                                                                         \
          }                                                                                          \
          break;                                                                                     \
        }                                                                                            \
        _Pragma("omp simd") for (int64_t i = 0; i < nb; i++) {                                       \
          float x = ar[i], y = b[i];                                                                 \
          orow[i] = (EXPR);                                                                          \
        }                                                                                            \
      }                                                                                              \
    } else {                                                                                         \
      for (int64_t o = 0; o < n; o += na) {                                                          \
        const float *br = b + o;                                                                     \
        float *orow = out + o;                                                                       \
        if (na == 1) {                                                                               \
          float x = a[0];                                                                            \
          _Pragma("omp simd") for (int64_t i = 0; i < n; i++) {                                      \
            float y = b[i];                                                                          \
            out[i] = (EXPR);                                                                         \
          }                                                                                          \
          break;                                                                                     \
        }                                                                                            \
        _Pragma("omp simd") for (int64_t i = 0; i < na; i++) {                                       \
          float x = a[i], y = br[i];                                                                 \
          orow[i] = (EXPR);                                                                          \
        }                                                                                            \
      }                                                                                              \
    }                                                                                                \
  } while (0)

SIMD_CLONES static void binary(int op, const float *a, int64_t na, const float *b, int64_t nb, float *out, int64_t n) {
  switch (op) {
    case OP_ADD: BINARY_LOOP(x + y); break;
    case OP_SUB: BINARY_LOOP(x - y); break;
    case OP_MUL: BINARY_LOOP(x * y); break;
    default: BINARY_LOOP(x / y); break;
  }
}

/* binary(heap, op, a, na, b, nb, out, n): n = max(na, nb), the smaller size divides it. */
static napi_value Binary(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 7, &a, "binary")) return NULL;
  int64_t op, na, nb, n;
  if (!dim(env, a.v[0], &op, "op") || !dim(env, a.v[2], &na, "na") || !dim(env, a.v[4], &nb, "nb") || !dim(env, a.v[6], &n, "n"))
    return NULL;
  if (op > OP_DIV) return throw_error(env, "binary: unknown op"), NULL;
  if (n == 0) return undefined(env);
  if (na == 0 || nb == 0 || (na != n && nb != n) || n % na != 0 || n % nb != 0)
    return throw_error(env, "binary: the smaller operand must repeat evenly over the larger"), NULL;
  const float *x = region(env, &a, a.v[1], na, "binary a");
  const float *y = x ? region(env, &a, a.v[3], nb, "binary b") : NULL;
  float *out = y ? region(env, &a, a.v[5], n, "binary out") : NULL;
  if (!out) return NULL;
  binary((int)op, x, na, y, nb, out, n);
  return undefined(env);
}

/* copyRuns(heap, src, dst, runs, run, srcStride): dst gets `runs` runs of `run` 4-byte elements
 * taken every `srcStride` elements of src (a slice whose last axes are contiguous). */
static napi_value CopyRuns(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 5, &a, "copyRuns")) return NULL;
  int64_t runs, run, stride;
  if (!dim(env, a.v[2], &runs, "runs") || !dim(env, a.v[3], &run, "run") || !dim(env, a.v[4], &stride, "srcStride")) return NULL;
  if (runs == 0 || run == 0) return undefined(env);
  if (stride < run) return throw_error(env, "copyRuns: runs overlap"), NULL;
  const float *src = region(env, &a, a.v[0], (runs - 1) * stride + run, "copyRuns src");
  float *dst = src ? region(env, &a, a.v[1], runs * run, "copyRuns dst") : NULL;
  if (!dst) return NULL;
  for (int64_t r = 0; r < runs; r++) memcpy(dst + r * run, src + r * stride, (size_t)run * sizeof(float));
  return undefined(env);
}

/* ---------------------------------------------------------------------------------------------- */
/* Adam, with PyTorch's arithmetic (so the two agree step for step), plus decoupled weight decay.  */

SIMD_CLONES static void adam(const float *p, const float *g, const float *m, const float *v, float *po, float *mo,
                             float *vo, int64_t n, float lr, float b1, float b2, float eps, float bc1, float bc2sqrt,
                             float wd) {
  float step = lr / bc1, decay = 1.0f - lr * wd;
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + (1.0f - b1) * gi;
    float vi = v[i] * b2 + (1.0f - b2) * gi * gi;
    float denom = sqrtf(vi) / bc2sqrt + eps;
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i] * decay - step * (mi / denom);
  }
}

/* adam(heap, p, g, m, v, pOut, mOut, vOut, n, lr, beta1, beta2, eps, bias1, bias2sqrt, weightDecay) */
static napi_value Adam(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, 15, &a, "adam")) return NULL;
  int64_t n;
  if (!dim(env, a.v[7], &n, "n")) return NULL;
  const float *p = region(env, &a, a.v[0], n, "adam param");
  const float *g = p ? region(env, &a, a.v[1], n, "adam grad") : NULL;
  const float *m = g ? region(env, &a, a.v[2], n, "adam m") : NULL;
  const float *v = m ? region(env, &a, a.v[3], n, "adam v") : NULL;
  float *po = v ? region(env, &a, a.v[4], n, "adam param out") : NULL;
  float *mo = po ? region(env, &a, a.v[5], n, "adam m out") : NULL;
  float *vo = mo ? region(env, &a, a.v[6], n, "adam v out") : NULL;
  if (!vo) return NULL;
  adam(p, g, m, v, po, mo, vo, n, (float)a.v[8], (float)a.v[9], (float)a.v[10], (float)a.v[11], (float)a.v[12],
       (float)a.v[13], (float)a.v[14]);
  return undefined(env);
}

/* ---------------------------------------------------------------------------------------------- */

#ifndef UNIRL_ACCELERATE
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);
#endif

/* setThreads(n): BLAS threads (the fused kernels are single-threaded). */
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double n = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 1 || napi_get_value_double(env, argv[0], &n) != napi_ok || !(n >= 1 && n <= 1024))
    return throw_error(env, "setThreads: expected a thread count from 1 to 1024"), NULL;
#ifndef UNIRL_ACCELERATE
  openblas_set_num_threads((int)n);
#endif
  return undefined(env);
}

/* info(): { blas, threads } */
static napi_value Info(napi_env env, napi_callback_info info) {
  napi_value obj, blas, threads;
  napi_create_object(env, &obj);
#ifdef UNIRL_ACCELERATE
  napi_create_string_utf8(env, "Accelerate", NAPI_AUTO_LENGTH, &blas);
  napi_create_int32(env, 0, &threads);
#else
  char buf[256];
  snprintf(buf, sizeof buf, "%s", openblas_get_config());
  napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &blas);
  napi_create_int32(env, openblas_get_num_threads(), &threads);
#endif
  napi_set_named_property(env, obj, "blas", blas);
  napi_set_named_property(env, obj, "threads", threads);
  return obj;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasAct", NULL, BiasAct, NULL, NULL, NULL, napi_enumerable, NULL},
      {"colSum", NULL, ColSum, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNorm", NULL, LayerNorm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormGrad", NULL, LayerNormGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gelu", NULL, Gelu, NULL, NULL, NULL, napi_enumerable, NULL},
      {"geluGrad", NULL, GeluGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxXent", NULL, SoftmaxXent, NULL, NULL, NULL, napi_enumerable, NULL},
      {"softmaxXentGrad", NULL, SoftmaxXentGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attention", NULL, Attention, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionGrad", NULL, AttentionGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"embedding", NULL, Embedding, NULL, NULL, NULL, napi_enumerable, NULL},
      {"embeddingGrad", NULL, EmbeddingGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"binary", NULL, Binary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyRuns", NULL, CopyRuns, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adam", NULL, Adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, Info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
