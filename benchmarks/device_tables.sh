#!/usr/bin/env bash
# Run published tables on a lent GPU machine (one H100/H200, 16 cores; no internet), in one call.
# Carried (all git-ignored): the wheels the machine lacks in .whl/, MNIST as .data/MNIST.tgz, and in
# .devdata/ the zoo's cached MNIST classifier (cache/classifiers) and a `make` binary for an image
# without one. Each argument is one `make` command line, run in parallel with the others; RUNS is
# an optional plain command run beside them (a multirun whose jobs are not a table page). Every
# job stops itself (EXTRA=+trainer.max_time) before the LIMIT, so each page is written; the pages
# (docs/results, docs/img) and the sweeps' small files come back in $OUT as two archives.
#   LIMIT=480 ZOO_COMMIT=<sha> bash benchmarks/device_tables.sh "table-infogan FULL=1 JOBS=5" ...
# CPU check of the script itself (no GPU, tiny budgets):
#   OUT=/tmp/out LIMIT=120 DRY=1 TRAINER=cpu bash benchmarks/device_tables.sh "table-infogan JOBS=2 SEEDS=0,1"
set -u
LIMIT=${LIMIT:-480}        # seconds from the start of the tables to the last page written
MARGIN=${MARGIN:-75}       # seconds each job leaves for its final evaluation and the page
OUT=${OUT:-/tmp/out}
PY=${PY:-python3}
TRAINER=${TRAINER:-gpu}
RUNS=${RUNS:-}
mkdir -p "$OUT" /tmp/data
exec > >(tee -a "$OUT/log.txt") 2>&1
if [ -z "${DRY:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
  for archive in .data/*.tgz; do tar xzf "$archive" -C /tmp/data; done
  export ZOO_CACHE=$PWD/.devdata/cache
  command -v make >/dev/null || export PATH=$PATH:$PWD/.devdata/bin
  DATA=/tmp/data
else
  DATA=${DATA:-../shared/data}
fi
export PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "no GPU"; echo "$(nproc) CPU cores"
  $PY -c "import torch, lightning; print('torch', torch.__version__, 'lightning', lightning.__version__, 'cuda', torch.cuda.is_available())"; } > "$OUT/device.txt"
cat "$OUT/device.txt"
start=$(date +%s)
# (SKIP_CLASSIFIER=1: the carried cache holds it; each job would train it otherwise.)
[ -n "${SKIP_CLASSIFIER:-}" ] || $PY -m zoo.classifier dataset=mnist dataset.root=$DATA > "$OUT/classifier.log" 2>&1 || { echo "classifier failed"; tail -5 "$OUT/classifier.log"; }
echo "classifier: $(( $(date +%s) - start )) s"
# Lightning's Trainer(max_time): each job trains until then at most and still scores its end.
budget=$(( LIMIT - MARGIN - ($(date +%s) - start) ))
max_time=$(printf '00:00:%02d:%02d' $(( budget / 60 )) $(( budget % 60 )))
echo "each job trains for at most $max_time"
extra="threads=1 +trainer.max_time=$max_time"      # every job's, the tables' and RUNS' alike
left() { echo $(( LIMIT + 30 - ($(date +%s) - start) )); }  # seconds a command may still run
pids=()
for line in "$@"; do
  name=$(echo "$line" | cut -d' ' -f1)
  # shellcheck disable=SC2086  # a make command line: its words are separate arguments
  timeout "$(left)" make -o install -o .venv/.installed PY=$PY DATA_ROOT=$DATA TRAINER=$TRAINER \
    EXTRA="$extra" $line > "$OUT/$name.log" 2>&1 &
  pids+=($!)
done
if [ -n "$RUNS" ]; then
  # shellcheck disable=SC2086
  timeout "$(left)" $PY -m zoo.train -m $RUNS $extra > "$OUT/runs.log" 2>&1 &
  pids+=($!)
fi
tick=0
while sleep 5; do  # progress each minute: the jobs' results.json written so far
  alive=0; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ $alive = 1 ] || break
  tick=$(( tick + 1 )); [ $(( tick % 12 )) = 0 ] || continue
  echo "[$(( $(date +%s) - start )) s] results written: $(find outputs/tables outputs/device -name results.json 2>/dev/null | wc -l)"
done
for pid in "${pids[@]}"; do wait "$pid"; echo "pid $pid: exit $?"; done
echo "tables: $(( $(date +%s) - start )) s"
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader 2>/dev/null
# The suite's tests marked gpu (skipped on CPU machines, CI's included) on this machine's GPU.
ZOO_TEST_CUDA=1 timeout 120 $PY -m pytest -q -p no:cacheprovider -m gpu tests > "$OUT/gpu_tests.txt" 2>&1
tail -1 "$OUT/gpu_tests.txt"
tar czf "$OUT/pages.tgz" docs/results docs/img 2>/dev/null
tar czf "$OUT/sweeps.tgz" --exclude='*.ckpt' --exclude='*.pt' --exclude='outputs/tables/*.png' outputs/tables outputs/device 2>/dev/null
ls -la "$OUT"
