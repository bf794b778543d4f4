#!/usr/bin/env bash
# The one command for a lent GPU machine (see README.md here). In the repository root, with .gpu/
# from bench/gpu/pack.sh beside it:
#   OUT=/some/folder bash bench/gpu/run.sh
# 1. unpacks Node and the runtime (setup.sh) and prints the adapter;
# 2. `unirl bench --throughput --backend webgpu`: a large fp32 product, and the pretraining step of
#    each paradigm at GPU batches (tokens/s, TFLOP/s, data-wait share) -> $OUT/throughput.json;
# 3. pretraining of both paradigms side by side, continuing the committed bases at the batch that
#    measured fastest, for $SECONDS_TRAIN seconds each, checkpointed as it goes -> $OUT/{ar,masked}.safetensors
#    (written in place every 100 steps, so a command stopped at its limit still returns them)
#    with their metrics -> $OUT/{ar,masked}.metrics.jsonl; the log -> $OUT/run.log.
# Knobs (environment): SECONDS_TRAIN (default 330), SECONDS_THROUGHPUT (150), BATCHES (default 64,256,512), LR (1e-3),
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
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
started=$(date +%s)
stamp() { echo "[$(($(date +%s) - started)) s] $*"; }

# shellcheck source=bench/gpu/setup.sh
source bench/gpu/setup.sh
command -v nvidia-smi >/dev/null && nvidia-smi -L
stamp "throughput"
# (Capped: on the H200 the 512 rows took minutes, and the first run's command limit came before its checkpoints.)
# shellcheck disable=SC2086
timeout -s INT -k 20 "${SECONDS_THROUGHPUT:-150}" node dist/unirl.js bench --throughput --backend webgpu --batches "$BATCHES" --steps "$THROUGHPUT_STEPS" --matmul "$MATMUL" $MODEL --out "$OUT/throughput.json" \
  || stamp "throughput failed (exit $?)"

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
