#!/usr/bin/env bash
# npm run test:install [-- --compare-node-llama-cpp]
#
# Proves the prebuilt packages on a clean machine: packs the main package and
# the linux-x64 platform package, installs both with npm into an empty app in
# a Debian chroot that holds Node and npm but no compiler, cmake, make, git or
# Python, checks that nothing was compiled, then greedy-decodes 24 tokens with
# models/stories260K.gguf there and in this repository (its own build) and
# fails unless the token ids are the same. Also checks that the main package
# alone (no prebuilt package, no toolchain) fails its install with the one
# clear message.
#
# The chroot (debootstrap --variant=minbase bookworm, ~200 MB, ~1 min to make)
# is cached in $LLAMA_GENERATE_CHROOT, default ~/.cache/llama-generate/chroot-bookworm-minbase:
# outside the repository, so no tool that walks the repository ever walks into
# it (or into the /proc, /dev and /sys mounted there during the test).
# The mounts live in a private mount namespace (unshare), so they vanish with
# the test even if it is killed; without unshare they are unmounted by a trap.
# Needs root (chroot, mount) and uses sudo for that part when not root.
#
# Options: --compare-node-llama-cpp  also measure `npm install node-llama-cpp@3.22.1 --ignore-scripts`
#          --skip-pack               reuse the tarballs of the last run
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

chroot_dir=${LLAMA_GENERATE_CHROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/llama-generate/chroot-bookworm-minbase}
work=$repo/packages/dist/test-install
model=$repo/models/stories260K.gguf
tokens=24

say() { printf '\ntest:install: %s\n' "$*"; }
die() { printf 'test:install: FAILED: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# ---------------------------------------------------------------------------
# Root part: make the chroot (once), run the installs in it. Called as
#   test-install.sh --root-phase CHROOT WORK
# ---------------------------------------------------------------------------
unmount_under() {  # every mount point under $1, deepest first
  local m
  for m in $(awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}

make_chroot() {
  local dir=$1
  [ -f "$dir/.llama-generate-ready" ] && return 0
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  unmount_under "$dir.partial"
  [ -z "$(awk -v p="$dir" 'index($2, p) == 1' /proc/mounts)" ] || die "$dir has mounts; not touching it"
  rm -rf "$dir.partial"
  mkdir -p "$(dirname "$dir")"
  say "making the chroot: debootstrap --variant=minbase bookworm $dir (once)"
  local start=$SECONDS
  debootstrap --variant=minbase bookworm "$dir.partial" >"$(dirname "$dir")/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $(dirname "$dir")/debootstrap.log"
  touch "$dir.partial/.llama-generate-ready"
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
  echo "chroot made in $((SECONDS - start))s"
}

# This machine's node and npm, copied in (refreshed when the node binary changes).
install_node() {
  local dir=$1 node_bin npm_dir
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  [ -f "$npm_dir/bin/npm-cli.js" ] || die "cannot find npm's directory (looked at $npm_dir)"
  local stamp
  stamp="$(sha256sum "$node_bin" | cut -c1-16) $(node -p 'require(process.argv[1]).version' "$npm_dir/package.json")"
  if [ "$(cat "$dir/.llama-generate-node" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$dir/usr/local/lib/node_modules/npm"
    mkdir -p "$dir/usr/local/bin" "$dir/usr/local/lib/node_modules"
    cp "$node_bin" "$dir/usr/local/bin/node"
    cp -a "$npm_dir" "$dir/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
    echo "$stamp" >"$dir/.llama-generate-node"
  fi
  # TLS: the CA file this machine's npm and node are told to use (a proxy's, say) goes in at the same path.
  local ca
  for ca in "$(npm config get cafile 2>/dev/null || true)" "${NODE_EXTRA_CA_CERTS:-}"; do
    if [ -n "$ca" ] && [ "$ca" != null ] && [ "$ca" != undefined ] && [ -f "$ca" ]; then
      mkdir -p "$dir$(dirname "$ca")"
      cp "$ca" "$dir$ca"
    fi
  done
}

root_phase() {
  local dir=$1 work=$2
  make_chroot "$dir"
  install_node "$dir"

  # Nothing to build with in there.
  chroot "$dir" /bin/sh -c 'for t in g++ gcc cc c++ clang clang++ cmake make ninja git python3 python; do
      if command -v "$t" >/dev/null; then echo "chroot has $t: $(command -v "$t")"; exit 1; fi; done' \
    || die "the chroot is not clean"
  echo "chroot: $(chroot "$dir" /bin/sh -c '. /etc/os-release; echo "$PRETTY_NAME"'), node $(chroot "$dir" /usr/local/bin/node --version), npm $(chroot "$dir" /usr/local/bin/node /usr/local/bin/npm --version); no g++, cc, c++, clang, cmake, make, ninja, git, python"

  rm -rf "$dir/test"
  mkdir -p "$dir/test"
  cp "$work"/tarballs/*.tgz "$work/generate.js" "$work/inner.sh" "$work/model.gguf" "$dir/test/"

  # The registry and CA settings of this machine's npm, passed as environment (nothing written into the chroot's npmrc).
  local env_args=(HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TOKENS="$tokens")
  local v
  v=$(npm config get registry 2>/dev/null || true); [ -n "$v" ] && env_args+=("npm_config_registry=$v")
  v=$(npm config get cafile 2>/dev/null || true); [ -n "$v" ] && [ "$v" != null ] && [ "$v" != undefined ] && env_args+=("npm_config_cafile=$v")
  [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && env_args+=("NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS")
  for v in HTTPS_PROXY HTTP_PROXY NO_PROXY https_proxy http_proxy no_proxy; do
    [ -n "${!v:-}" ] && env_args+=("$v=${!v}")
  done

  local mounts="mount -t proc proc '$dir/proc' && mount --bind /dev '$dir/dev' && mount --bind /sys '$dir/sys'"
  mounts+=" && touch '$dir/etc/resolv.conf' && mount --bind /etc/resolv.conf '$dir/etc/resolv.conf'"
  local run_in="chroot '$dir' /usr/bin/env -i ${env_args[*]@Q} /bin/bash /test/inner.sh"
  if unshare --mount --propagation private true 2>/dev/null; then
    unshare --mount --propagation private /bin/bash -c "set -e; $mounts; $run_in"
  else
    trap 'unmount_under "$dir"' EXIT
    unmount_under "$dir"
    /bin/bash -c "set -e; $mounts"
    /bin/bash -c "$run_in"
    unmount_under "$dir"
    trap - EXIT
  fi
  cp "$dir/test/chroot.json" "$work/chroot.json"
}

if [ "${1:-}" = --root-phase ]; then
  root_phase "$2" "$3"
  exit 0
fi

# ---------------------------------------------------------------------------
# User part: prebuild, pack, then the root part, then compare.
# ---------------------------------------------------------------------------
compare=0
skip_pack=0
for arg in "$@"; do
  case $arg in
    --compare-node-llama-cpp) compare=1 ;;
    --skip-pack) skip_pack=1 ;;
    *) die "unknown option $arg" ;;
  esac
done
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "this test runs on linux-x64 only"
[ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null || die "needs root (chroot, mount) or sudo"
total_start=$SECONDS
mkdir -p "$work"

if [ $skip_pack -eq 0 ]; then
  if [ -f build/Release/llama_generate.node ]; then
    say "staging @llama-generate/linux-x64 from build/Release"
    node scripts/prebuild.js --from build/Release
  else
    say "building and staging @llama-generate/linux-x64 (no build/Release)"
    node scripts/prebuild.js
  fi
  say "packing"
  rm -rf "$work/tarballs"
  node scripts/pack.js --out "$work/tarballs"
fi
version=$(node -p 'require("./package.json").version')
main_tgz=$work/tarballs/llama-generate-$version.tgz
platform_tgz=$work/tarballs/llama-generate-linux-x64-$version.tgz
[ -f "$main_tgz" ] && [ -f "$platform_tgz" ] || die "missing $main_tgz or $platform_tgz"
find "$work/tarballs" -name '*.tgz' ! -name "llama-generate-$version.tgz" ! -name "llama-generate-linux-x64-$version.tgz" -delete
cp test/install/generate.js "$work/generate.js"
cp "$model" "$work/model.gguf"

# What runs inside the chroot.
cat >"$work/inner.sh" <<'INNER'
set -euo pipefail
cd /test
export npm_config_cache=/test/npm-cache   # empty: every run fetches what it installs
app_json='{"name":"app","version":"1.0.0","private":true,"allowScripts":{"llama-generate":true}}'
main_tgz=$(ls llama-generate-[0-9]*.tgz)
platform_tgz=$(ls llama-generate-linux-x64-*.tgz)

echo "== npm install $main_tgz $platform_tgz (an empty app, no toolchain)"
mkdir app && cd app && echo "$app_json" >package.json
start=$(date +%s%N)
if ! npm install --no-audit --no-fund --foreground-scripts "../$main_tgz" "../$platform_tgz" >../install.log 2>&1; then
  cat ../install.log; echo "npm install failed"; exit 1
fi
ms=$(( ($(date +%s%N) - start) / 1000000 ))
sed 's/^/  | /' ../install.log
grep -q 'llama-generate: using the prebuilt package @llama-generate/linux-x64' ../install.log \
  || { echo "the install script did not report the prebuilt package"; exit 1; }
if grep -Eqi 'cmake|ninja|compiler identification|building llama' ../install.log; then echo "the install log shows a build"; exit 1; fi
[ ! -e node_modules/llama-generate/build ] || { echo "node_modules/llama-generate/build exists: something was built"; exit 1; }
[ ! -e node_modules/llama-generate/vendor/llama.cpp ] || { echo "the llama.cpp sources were unpacked"; exit 1; }
echo "install time: $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s (empty npm cache, registry for cli-progress and its deps)"
echo "node_modules: $(du -sh node_modules | cut -f1) ($(du -s --bytes node_modules | cut -f1) bytes of files)"
du -sh node_modules/llama-generate node_modules/@llama-generate/* node_modules/llama-generate/vendor/llama.cpp.tar.gz | sed 's/^/  /'
cp ../generate.js .
node generate.js /test/model.gguf "$TOKENS" >/test/chroot.json
echo "generated: $(cat /test/chroot.json)"

echo "== npm install $main_tgz alone (no prebuilt package, no toolchain): must fail with one clear message"
cd /test && mkdir app2 && cd app2 && echo "$app_json" >package.json
if npm install --no-audit --no-fund --foreground-scripts "../$main_tgz" >../install2.log 2>&1; then
  cat ../install2.log; echo "the install succeeded without a binary"; exit 1
fi
sed -n '/llama-generate: no native binary/,/for this platform, then run/p' ../install2.log | sed 's/^/  | /'
grep -q 'no native binary for linux-x64' ../install2.log && grep -q LLAMA_GENERATE_BINARY ../install2.log \
  || { cat ../install2.log; echo "the failure message is not the expected one"; exit 1; }
INNER

say "installing in the chroot ($chroot_dir)"
as_root env "PATH=$PATH" ${NODE_EXTRA_CA_CERTS:+"NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS"} \
  bash "$repo/scripts/test-install.sh" --root-phase "$chroot_dir" "$work"

say "the same generation from the repository (its build/Release)"
node test/install/generate.js "$model" "$tokens" >"$work/repo.json"
echo "generated: $(cat "$work/repo.json")"
node -e '
  const [a, b] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
  console.log(`cpu variant: chroot ${a.cpuVariant}, repository ${b.cpuVariant}; binary: chroot ${a.binary.source} ${a.binary.packageName}, repository ${b.binary.source}`);
  if (a.binary.source !== "package" || a.binary.packageName !== "@llama-generate/linux-x64") { console.error("the chroot did not use the platform package"); process.exit(1); }
  if (JSON.stringify(a.tokens) !== JSON.stringify(b.tokens)) { console.error(`token ids differ:\n  chroot     ${JSON.stringify(a.tokens)}\n  repository ${JSON.stringify(b.tokens)}`); process.exit(1); }
  if (a.tokens.length === 0) { console.error("no tokens generated"); process.exit(1); }
  console.log(`token ids identical (${a.tokens.length}): ${JSON.stringify(a.tokens)}`);
' "$work/chroot.json" "$work/repo.json" || die "the chroot and the repository disagree"

if [ $compare -eq 1 ]; then
  say "for comparison: npm install node-llama-cpp@3.22.1 --ignore-scripts"
  peer=$(mktemp -d)
  echo '{"name":"peer","version":"1.0.0","private":true}' >"$peer/package.json"
  start=$SECONDS
  (cd "$peer" && npm install --no-audit --no-fund --ignore-scripts node-llama-cpp@3.22.1 >/dev/null 2>&1) || die "cannot install node-llama-cpp"
  echo "node-llama-cpp node_modules: $(du -sh "$peer/node_modules" | cut -f1) ($((SECONDS - start))s, npm cache as it is)"
  du -sh "$peer"/node_modules/@node-llama-cpp/* 2>/dev/null | sed "s|$peer/||; s/^/  /"
  rm -rf "$peer"
fi

say "passed in $((SECONDS - total_start))s"
