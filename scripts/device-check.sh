#!/usr/bin/env bash
# GPU check on a machine with an NVIDIA GPU and the CUDA toolkit (nvcc, cuBLAS):
# builds the CUDA backend module, then
#   1. llama.cpp's own llama-bench with every layer on the GPU (the reference),
#   2. the library's GPU smoke test: the CUDA device is listed, a model loads
#      with all layers offloaded, greedy tokens equal the CPU build's,
#   3. the generate() benchmark (bench/generate.ts) on the GPU, beside llama-bench.
# Steps 2-3 need Node >= 20: `node` on PATH, or a binary at .node-bin/node
# (copy this machine's: mkdir -p .node-bin && cp "$(command -v node)" .node-bin/).
#
#   bash scripts/device-check.sh [--arch 90] [--out DIR]
#
# Output (logs, results) goes to $OUT when set (the device tool's result folder),
# else to build/device-check/. Exits non-zero when a step fails.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ARCH=90
OUTDIR=${OUT:-$ROOT/build/device-check}
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) ARCH=$2; shift 2 ;;
    --out) OUTDIR=$2; shift 2 ;;
    *) echo "device-check: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUTDIR"
LOG="$OUTDIR/device-check.log"
: >"$LOG"
say() { echo "device-check: $*" | tee -a "$LOG"; }
failed=0
step() { # step NAME command...
  local name=$1; shift
  local t0=$(date +%s)
  say "== $name"
  if "$@" >>"$LOG" 2>&1; then say "   ok ($(( $(date +%s) - t0 )) s)"; else say "   FAILED ($(( $(date +%s) - t0 )) s), see $LOG"; failed=1; return 1; fi
}

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee -a "$LOG"
NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
[ -n "$NVCC" ] || { say "no nvcc: the CUDA toolkit is needed"; exit 1; }
say "nvcc: $("$NVCC" --version | tail -1)"
JOBS=$(nproc)

# cuBLAS: the toolkit's, or the one of pip's nvidia-cublas wheel (PyTorch images carry it).
CUDA_EXTRA=()
if ! ls /usr/local/cuda/include/cublas_v2.h >/dev/null 2>&1; then
  PYCUBLAS=$(python3 -c 'import nvidia.cublas, os; print(os.path.dirname(nvidia.cublas.__file__))' 2>/dev/null || true)
  if [ -n "$PYCUBLAS" ]; then
    say "cuBLAS from the Python package at $PYCUBLAS"
    CUDA_EXTRA+=("-DCUDAToolkit_ROOT=/usr/local/cuda" "-DCMAKE_CUDA_FLAGS=-I$PYCUBLAS/include" "-DCMAKE_LIBRARY_PATH=$PYCUBLAS/lib")
    export LD_LIBRARY_PATH="$PYCUBLAS/lib:${LD_LIBRARY_PATH:-}"
  fi
fi

SRC=${LLAMA_GENERATE_LLAMA_CPP_DIR:-$ROOT/vendor/llama.cpp}
[ -f "$SRC/include/llama.h" ] || { say "llama.cpp sources missing at $SRC (run npm run vendor here first, then carry vendor/llama.cpp)"; exit 1; }

# 1. llama-bench with the CUDA module (same options as the addon: shared, backends as modules)
BENCH_BUILD=$ROOT/build/device-llama
step "configure llama.cpp tools with CUDA (sm_$ARCH)" cmake -S "$SRC" -B "$BENCH_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF \
  -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$ARCH" -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON "${CUDA_EXTRA[@]}"
step "build llama-bench + ggml-cuda" cmake --build "$BENCH_BUILD" --target llama-bench ggml-cuda -j "$JOBS"
MODELS=("$ROOT/models/stories260K.gguf")
[ -f "$ROOT/bench/models/random-100m-q8_0.gguf" ] && MODELS+=("$ROOT/bench/models/random-100m-q8_0.gguf")
for m in "${MODELS[@]}"; do
  step "llama-bench $(basename "$m") -ngl 99" "$BENCH_BUILD/bin/llama-bench" -m "$m" -ngl 99 -p 512 -n 128 -r 5 -o md
  grep -A4 "| model" "$LOG" | tail -4 >"$OUTDIR/llama-bench-$(basename "$m" .gguf).md"
done

# 2-3. the library (needs Node)
NODE=$(command -v node || true)
[ -z "$NODE" ] && [ -x "$ROOT/.node-bin/node" ] && NODE=$ROOT/.node-bin/node
if [ -z "$NODE" ]; then
  say "no node on this machine (and no .node-bin/node): skipping the library's GPU test and benchmark"
else
  export PATH="$(dirname "$NODE"):$PATH"
  step "build the addon with CUDA" node scripts/build-native.js --out build/cuda --CDGGML_CUDA=ON --CDCMAKE_CUDA_ARCHITECTURES="$ARCH" \
    $(for a in "${CUDA_EXTRA[@]}"; do printf -- '--CD%s ' "${a#-D}"; done)
  [ -d dist ] || step "TypeScript build" npx tsc -p tsconfig.build.json
  step "GPU smoke test (CUDA device listed, all layers offloaded, tokens = CPU build)" \
    env LLAMA_GENERATE_BINARY="$ROOT/build/cuda/Release" node scripts/gpu-smoke.js --expect-backend CUDA --compare-cpu "$ROOT/build/Release"
  step "generate() benchmark on the GPU" env LLAMA_GENERATE_BINARY="$ROOT/build/cuda/Release" node -e "
    const { loadModel, systemInfo } = require('./dist');
    (async () => {
      for (const file of process.argv.slice(1)) {
        const model = await loadModel(file, { gpuLayers: 'max' });
        const context = await model.createContext({ contextSize: 1024, batchSize: 512 });
        const prompt = Array.from({ length: 512 }, (_, i) => 1 + (i % 200));
        let t = performance.now();
        await context.evaluate(prompt, { logits: 'last' });
        const pp = 512 / ((performance.now() - t) / 1000);
        await context.clear();
        t = performance.now();
        const r = await context.generate([1], { max_new_tokens: 128, min_new_tokens: 128 }).result;
        const tg = r.tokens.length / ((performance.now() - t) / 1000);
        console.log(JSON.stringify({ model: file, pp512: pp.toFixed(1), tg128: tg.toFixed(1), backends: systemInfo().modules.loaded.map((b) => b.backend) }));
        await model.disposeAsync();
      }
    })();" "${MODELS[@]}"
fi
say "done: $([ $failed = 0 ] && echo all steps passed || echo some steps FAILED)"
exit $failed
