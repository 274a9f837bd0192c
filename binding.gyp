{
  "targets": [
    {
      "target_name": "bootvisor",
      "sources": ["<!@(node native/sources.js)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/include",
        "native/src"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "<!@(node native/sources.js --defines)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O2", "-fno-strict-aliasing", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["<!@(node native/sources.js --libs)"]
    }
  ]
}
