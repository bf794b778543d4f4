{
  # The project's native kernels for the wasm backend: one C file on the system's BLAS.
  # Built by native/build.mjs at `npm install`; optional (the daemon falls back to plain wasm).
  "targets": [
    {
      "target_name": "unirl_native",
      "sources": ["src/unirl_native.c"],
      "cflags": ["-O3", "-fopenmp-simd", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_c": ["-std=c11"],
      "conditions": [
        ["OS=='mac'", {
          "defines": ["UNIRL_ACCELERATE", "ACCELERATE_NEW_LAPACK"],
          "libraries": ["-framework Accelerate"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
        }, {
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}
