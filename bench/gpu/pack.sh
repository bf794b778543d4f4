#!/usr/bin/env bash
# Packs what a GPU machine with no Node and no npm registry needs to run the daemon's WebGPU path,
# into .gpu/ (git-ignored), small enough to travel (the lent machines take 64 MiB in all, the
# repository's own files included):
#   .gpu/node.xz          this machine's Node binary, xz-compressed (it must be x86-64 Linux)
#   .gpu/runtime.tar.xz   dist/ (the built bundles) and the production node_modules the daemon
#                         loads at run time, with only linux-x64's Dawn binary
#   .gpu/debs/*.deb       the Vulkan and EGL loaders (Debian amd64), unpacked there with dpkg -x
# Usage: bash bench/gpu/pack.sh    (then bench/gpu/run.sh runs there; see bench/gpu/README.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.gpu
rm -rf "$out"
mkdir -p "$out/debs"

npm run build >/dev/null
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "pack: node_modules/webgpu is missing (npm install)" >&2; exit 1; }

echo "pack: node $(node --version)"
xz -T0 -6 -c "$(command -v node)" >"$out/node.xz"

# The files the daemon bundle loads from node_modules (the same list .vscodeignore lets into the
# .vsix), plus the WebGPU packages.
files=$(
  {
    ls node_modules/@tensorflow/*/package.json node_modules/@tensorflow/*/dist/*.node.js
    ls node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm
    ls node_modules/long/package.json node_modules/long/src/long.js
    ls node_modules/seedrandom/package.json node_modules/seedrandom/index.js node_modules/seedrandom/seedrandom.js node_modules/seedrandom/lib/*.js
    ls node_modules/ws/package.json node_modules/ws/index.js node_modules/ws/lib/*.js
    ls node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64/dawn.node
    ls dist/unirl.js dist/run-worker.js dist/batch-worker.js 2>/dev/null || true
  } | sort -u
)
# shellcheck disable=SC2086
tar -cf - $files | xz -T0 -6 >"$out/runtime.tar.xz"

# Debian's amd64 loaders, whatever this machine's own architecture (the device README's recipe).
lists=/tmp/unirl-gpu-apt-lists
mkdir -p "$lists/partial"
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${o[@]}" update -qq >/dev/null
(cd "$out/debs" && apt-get "${o[@]}" download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)

du -b "$out"/* "$out"/debs | sort -n
echo "pack: $(du -sb "$out" | cut -f1) bytes in $out"
