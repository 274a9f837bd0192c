{
  "target_defaults": {
    "include_dirs": ["native/include", "native/src"],
    "defines": ["<!@(node native/sources.js --defines)"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O2", "-fno-strict-aliasing", "-Wall", "-Wno-unused-parameter"]
  },
  "targets": [
    {
      "target_name": "bootvisor_core",
      "type": "static_library",
      "sources": ["<!@(node native/sources.js core)"],
      "link_settings": { "libraries": ["-lpthread", "<!@(node native/sources.js --libs)"] }
    },
    {
      "target_name": "bootvisor",
      "sources": ["<!@(node native/sources.js napi)"],
      "dependencies": ["bootvisor_core"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"]
    },
    {
      "target_name": "pc_run",
      "type": "executable",
      "sources": ["native/tools/pc_run.cpp"],
      "dependencies": ["bootvisor_core"]
    },
    {
      "target_name": "fpu_oracle",
      "type": "executable",
      "sources": ["native/tools/fpu_oracle.cpp"],
      "dependencies": ["bootvisor_core"]
    },
    {
      "target_name": "scripted_test",
      "type": "executable",
      "sources": ["native/tools/scripted_test.cpp", "native/tools/scripted_vcpu.cpp"],
      "include_dirs": ["native/tools"],
      "defines": ["BV_WITH_SOFTWARE=1"],
      "dependencies": ["bootvisor_core"]
    }
  ]
}
