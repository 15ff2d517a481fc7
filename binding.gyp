# node-gyp / prebuildify entry point. The addon is built by CMake (see
# CMakeLists.txt); this file delegates to it so `node-gyp rebuild` and
# `prebuildify --napi` produce exactly the binary `npm run build:native` does.
# CMake builds in build/cmake and the .node is copied to build/Release/.
{
  "targets": [
    {
      "target_name": "llama_generate",
      "type": "none",
      "actions": [
        {
          "action_name": "cmake_js_build",
          "inputs": ["CMakeLists.txt"],
          "outputs": ["<(PRODUCT_DIR)/llama_generate.node"],
          "action": ["node", "scripts/build-native.js", "--out", "build/cmake", "--copy-to", "<(PRODUCT_DIR)"]
        }
      ]
    }
  ]
}
