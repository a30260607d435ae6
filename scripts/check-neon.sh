#!/usr/bin/env bash
# Cross-compiles the engine's kernels for AArch64 (NEON) and, when
# qemu-aarch64 is installed, runs tests/llm/neon_check.c to compare the NEON
# kernels with the scalar reference. Needs gcc-aarch64-linux-gnu (and
# qemu-user to run); scripts/bootstrap.sh installs both.
# Usage: scripts/check-neon.sh [output-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build-neon}
cc=${CROSS_CC:-aarch64-linux-gnu-gcc}
command -v "$cc" >/dev/null || { echo "check-neon: $cc not found (apt-get install gcc-aarch64-linux-gnu)" >&2; exit 1; }
mkdir -p "$out"
flags=(-std=c11 -O2 -D_GNU_SOURCE -DSL_HAVE_NEON -I. -Wall -Wextra -Werror -Wshadow
       -Wstrict-prototypes -Wmissing-prototypes -Wvla -fno-strict-aliasing -Wno-format-truncation)
srcs=(llm/error.c llm/tensor_type.c llm/threadpool.c llm/cpu_features.c llm/quant.c
      llm/quant_scalar.c llm/matmul.c llm/quant_neon.c)
objs=()
for s in "${srcs[@]}"; do
  o="$out/$(basename "${s%.c}").o"
  "$cc" "${flags[@]}" -c "$s" -o "$o"
  objs+=("$o")
done
"$cc" "${flags[@]}" -ffp-contract=off -c llm/quant_ref.c -o "$out/quant_ref.o"
"$cc" "${flags[@]}" -static tests/llm/neon_check.c "${objs[@]}" "$out/quant_ref.o" \
  -o "$out/neon_check" -lm -lpthread
echo "check-neon: compiled $(( ${#srcs[@]} + 1 )) sources for AArch64"
if command -v qemu-aarch64 >/dev/null; then
  qemu-aarch64 "$out/neon_check"
else
  echo "check-neon: qemu-aarch64 not installed; compiled only" >&2
fi
