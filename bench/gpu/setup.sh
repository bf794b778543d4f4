#!/usr/bin/env bash
# Sourced on the GPU machine, in the repository root, after bench/gpu/pack.sh's .gpu/ arrived:
# unpacks Node, the runtime files and the loaders; puts node on PATH. Safe to source twice.
# (Sourced: it sets no shell options of its own; each step says when it fails.)
if [ ! -x /tmp/unirl-node/bin/node ]; then
  mkdir -p /tmp/unirl-node/bin
  xz -dc .gpu/node.xz >/tmp/unirl-node/bin/node.tmp && chmod +x /tmp/unirl-node/bin/node.tmp && mv /tmp/unirl-node/bin/node.tmp /tmp/unirl-node/bin/node \
    || echo "setup: could not unpack .gpu/node.xz (run bench/gpu/pack.sh first)" >&2
fi
export PATH=/tmp/unirl-node/bin:$PATH
[ -f dist/unirl.js ] || tar -xJf .gpu/runtime.tar.xz || echo "setup: could not unpack .gpu/runtime.tar.xz" >&2
# The loaders only where the machine has none (the device README: unpack these into / alone);
# UNIRL_GPU_LOADERS=0 skips them (a local rehearsal on a machine that should stay as it is).
if [ "${UNIRL_GPU_LOADERS:-1}" = 1 ] && ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gpu/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# The NVIDIA driver's Vulkan ICD and EGL vendor files, where the loader does not find them itself.
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="${VK_DRIVER_FILES:-$icd}"
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
[ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="${__EGL_VENDOR_LIBRARY_FILENAMES:-$egl}"
echo "setup: node $(node --version), $(ldconfig -p | grep -c 'libvulkan.so.1') Vulkan loader(s)"
