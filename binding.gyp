{
  "targets": [
    {
      "target_name": "simmer_native",
      "sources": [
        "native/addon.cc",
        "native/kernels/cpu_dispatch.cc",
        "native/kernels/thread_pool.cc",
        "native/kernels/sgemm.cc",
        "native/kernels/matmul.cc",
        "native/kernels/info.cc",
        "native/kernels/conv.cc",
        "native/kernels/pool.cc",
        "native/kernels/elementwise.cc",
        "native/kernels/reduce.cc",
        "native/kernels/norm.cc",
        "native/kernels/optim.cc",
        "native/kernels/shape.cc",
        "native/kernels/attention.cc",
        "native/kernels/loss.cc",
        "native/kernels/embedding.cc",
        "native/kernels/cluster.cc",
        "native/kernels/tsne.cc",
        "native/bindings/elementwise.cc",
        "native/bindings/reduce.cc",
        "native/bindings/matmul.cc",
        "native/bindings/conv.cc",
        "native/bindings/pool.cc",
        "native/bindings/norm.cc",
        "native/bindings/optim.cc",
        "native/bindings/shape.cc",
        "native/bindings/attention.cc",
        "native/bindings/loss.cc",
        "native/bindings/embedding.cc",
        "native/bindings/cluster.cc",
        "native/bindings/tsne.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native/include", "native/kernels"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20", "-O2", "-O0"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-semantic-interposition"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-semantic-interposition"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-fno-math-errno"],
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] } }
    }
  ]
}
