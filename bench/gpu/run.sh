#!/usr/bin/env bash
# The one command for a lent GPU machine (see README.md here). In the repository root, with .gpu/
# from bench/gpu/pack.sh beside it:
#   OUT=/some/folder bash bench/gpu/run.sh
# 1. unpacks Node and the runtime (setup.sh) and prints the adapter;
#    then CHECK=1 (default): 3 pretraining steps from the committed autoregressive base at the first
#    batch on webgpu and on wasm, same data: the logged losses must agree (a wrong GPU result, such as
#    a dispatch the device skipped, shows here before any figure is taken) -> $OUT/check-*.jsonl;
# 2. `unirl bench --throughput --backend webgpu`: a large fp32 product, and the pretraining step of
#    each paradigm at GPU batches (tokens/s, TFLOP/s, data-wait share) -> $OUT/throughput.json;
# 3. with PROFILE=1 (default), time and count per kernel over 3 autoregressive steps at the first batch,
#    GPU times from timestamp queries -> $OUT/profile.json;
# 4. with SAMPLE_PROMPTS=N (default 64; 0 skips), `unirl eval` of each committed base on the first N
#    prompts of the default set, 4 images a prompt: images/s and answers/s -> $OUT/sampling-{ar,masked}.log;
# 5. pretraining of both paradigms side by side, continuing the committed bases at the batch that
#    measured fastest, for $SECONDS_TRAIN seconds each, checkpointed as it goes -> $OUT/{ar,masked}.safetensors
#    (written in place every 100 steps, so a command stopped at its limit still returns them)
#    with their metrics -> $OUT/{ar,masked}.metrics.jsonl; the log -> $OUT/run.log.
# Knobs (environment): SECONDS_TRAIN (default 330; 0 skips pretraining), SECONDS_THROUGHPUT (150), BATCHES (default 64,256,512), LR (1e-3),
# MATMUL (4096), THROUGHPUT_STEPS (10); MODEL="--dim 32 --layers 1 --heads 2" measures and trains
# that size from scratch instead of continuing the bases (a rehearsal on a software adapter).
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder for results}"
SECONDS_TRAIN=${SECONDS_TRAIN:-330}
BATCHES=${BATCHES:-64,256,512}
LR=${LR:-1e-3}
MATMUL=${MATMUL:-4096}
THROUGHPUT_STEPS=${THROUGHPUT_STEPS:-10}
MODEL=${MODEL:-}
PROFILE=${PROFILE:-1}
CHECK=${CHECK:-1}
SAMPLE_PROMPTS=${SAMPLE_PROMPTS:-64}
first=${BATCHES%%,*}    # the check and the profile run at the first batch asked for
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
started=$(date +%s)
stamp() { echo "[$(($(date +%s) - started)) s] $*"; }

# shellcheck source=bench/gpu/setup.sh
source bench/gpu/setup.sh
command -v nvidia-smi >/dev/null && nvidia-smi -L
# check NAME BACKEND BATCH [ENV=VALUE | --option value ...]: 3 steps from the autoregressive base -> $OUT/check-NAME.jsonl
check() {
  local name=$1 backend=$2 batch=$3
  shift 3
  local envs=() opts=()
  for a in "$@"; do if [[ $a == *=* && $a != --* ]]; then envs+=("$a"); else opts+=("$a"); fi; done
  stamp "check $name: 3 steps from the autoregressive base at $batch+$batch on $backend $*"
  rm -f /tmp/unirl-check.* "$OUT/check-$name.jsonl"
  env "${envs[@]}" timeout -s INT -k 20 300 node dist/unirl.js pretrain --backend "$backend" --init models/shapes-ar-base.safetensors --out /tmp/unirl-check.safetensors \
    --steps 3 --warmup 1 --batch "$batch" --und-batch "$batch" --log-every 1 --metrics "$OUT/check-$name.jsonl" "${opts[@]}" 2>&1 | grep -E '^step|unirl pretrain:' | sed "s/^/$name: /"
}
# agrees NAME REFERENCE: prints CHECK ok|FAILED and succeeds when the two runs' losses agree to 1e-3.
agrees() {
  python3 - "$OUT/check-$1.jsonl" "$OUT/check-$2.jsonl" "$1" <<'PY'
import json, sys
def losses(f):
    try: return [json.loads(l)["train/loss"] for l in open(f) if l.strip()]
    except OSError: return []
gpu, cpu = losses(sys.argv[1]), losses(sys.argv[2])
ok = len(gpu) == len(cpu) == 3 and all(abs(g - c) <= 1e-3 * max(abs(c), 1e-6) for g, c in zip(gpu, cpu))
print(f"CHECK {sys.argv[3]} {'ok' if ok else 'FAILED'}: webgpu {gpu} against wasm {cpu}")
sys.exit(0 if ok else 1)
PY
}
if [ "$CHECK" = 1 ]; then
  check wasm wasm "$first"
  check webgpu webgpu "$first"
  if ! agrees webgpu wasm; then
    # Bisect: a smaller batch (a size-dependent program), then each of our own webgpu replacements off.
    check wasm-8 wasm 8
    check webgpu-8 webgpu 8
    agrees webgpu-8 wasm-8
    check webgpu-stock-kernels webgpu "$first" UNIRL_WEBGPU_KERNELS=0
    agrees webgpu-stock-kernels wasm
    check webgpu-packed-matmul webgpu "$first" 'UNIRL_TFJS_FLAGS={"WEBGPU_MATMUL_PROGRAM_TYPE":3}'
    agrees webgpu-packed-matmul wasm
    check webgpu-no-workers webgpu "$first" --data-workers 0
    agrees webgpu-no-workers wasm
  fi
fi
stamp "throughput"
# (Capped: on the H200 the 512 rows took minutes, and the first run's command limit came before its checkpoints.)
# shellcheck disable=SC2086
timeout -s INT -k 20 "${SECONDS_THROUGHPUT:-150}" node dist/unirl.js bench --throughput --backend webgpu --batches "$BATCHES" --steps "$THROUGHPUT_STEPS" --matmul "$MATMUL" $MODEL --out "$OUT/throughput.json" \
  || stamp "throughput failed (exit $?)"

if [ "$PROFILE" = 1 ]; then
  stamp "profile"
  # shellcheck disable=SC2086
  UNIRL_WEBGPU_TIMESTAMPS=1 timeout -s INT -k 20 120 node dist/unirl.js bench --throughput --profile --backend webgpu --paradigm autoregressive \
    --batches "$first" --steps 3 --matmul 0 $MODEL --out "$OUT/profile.json" || stamp "profile failed (exit $?)"
fi
if [ "$SAMPLE_PROMPTS" -gt 0 ]; then
  head -n "$SAMPLE_PROMPTS" examples/prompts/shapes-geneval.jsonl >/tmp/unirl-sample-prompts.jsonl
  for p in ar masked; do
    stamp "sampling: $p base, $SAMPLE_PROMPTS prompts x 4"
    rm -rf "/tmp/unirl-eval-$p"
    UNIRL_BACKEND=webgpu timeout -s INT -k 20 150 node dist/unirl.js eval --checkpoint "models/shapes-$p-base.safetensors" \
      --metadata /tmp/unirl-sample-prompts.jsonl --n 4 --out "/tmp/unirl-eval-$p" >"$OUT/sampling-$p.log" 2>&1 || stamp "sampling $p failed (exit $?)"
    tail -n 3 "$OUT/sampling-$p.log"
  done
fi
[ "$SECONDS_TRAIN" -gt 0 ] || { stamp "done (no pretraining)"; ls -la "$OUT"; exit 0; }

# The batch with the most examples a second (the smallest asked for when the benchmark failed).
best=$(python3 - "$OUT/throughput.json" "$BATCHES" <<'PY'
import json, sys
try:
    rows = json.load(open(sys.argv[1]))["rows"]
    per = {}
    for r in rows: per.setdefault(r["batch"], []).append(r["examplesPerSec"])
    print(max(per, key=lambda b: min(per[b])))
except Exception:
    print(min(int(b) for b in sys.argv[2].split(",")))
PY
)
step_ms=$(python3 - "$OUT/throughput.json" "$best" <<'PY'
import json, sys
try:
    rows = [r for r in json.load(open(sys.argv[1]))["rows"] if r["batch"] == int(sys.argv[2])]
    print(int(max(r["stepSeconds"] for r in rows) * 1000))
except Exception:
    print(1000)
PY
)
# Two runs share the device: plan on each step taking twice its measured time, so the cosine
# schedule ends about when time is up; a stop before that is checkpointed all the same.
steps=$(( SECONDS_TRAIN * 1000 / (2 * step_ms) ))
[ "$steps" -lt 20 ] && steps=20
stamp "pretraining at batch $best+$best, ${step_ms} ms/step alone -> $steps steps each, lr $LR"
pids=()
for p in ar masked; do
  if [ -n "$MODEL" ]; then start="--paradigm $([ $p = ar ] && echo autoregressive || echo masked) $MODEL"; else start="--init models/shapes-$p-base.safetensors"; fi
  rm -f "$OUT/$p.safetensors" "$OUT/$p.optimizer.safetensors"
  # shellcheck disable=SC2086
  timeout -s INT -k 60 "$SECONDS_TRAIN" node dist/unirl.js pretrain --backend webgpu $start --out "$OUT/$p.safetensors" \
    --steps "$steps" --batch "$best" --und-batch "$best" --lr "$LR" --min-lr "$(python3 -c "print($LR/10)")" --warmup 50 \
    --checkpoint-every 100 --metrics "$OUT/$p.metrics.jsonl" >"/tmp/unirl-$p.log" 2>&1 &
  pids+=($!)
done
# (timeout's exit status 124 is the planned stop, not a failure.)
for pid in "${pids[@]}"; do wait "$pid" || true; done
for p in ar masked; do
  grep -v 'Warning\|artificially reduced\|^$\|BackendVk' "/tmp/unirl-$p.log" | tail -n 8 | sed "s/^/$p: /"
  [ -f "$OUT/$p.safetensors" ] || stamp "$p: no checkpoint"
done
stamp "done"
ls -la "$OUT"
