{
  "targets": [
    {
      "target_name": "simmer_mpi",
      "sources": ["mpi.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "OMPI_SKIP_MPICXX"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-O2", "-std=c++17", "<!@(mpicc --showme:compile)"],
      "ldflags": ["-pthread"],
      "libraries": ["<!@(mpicc --showme:link)", "-ldl"]
    }
  ]
}
