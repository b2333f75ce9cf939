#!/usr/bin/env bash
# Run published tables on a lent GPU machine (one H100/H200, 16 cores; no internet): the wheels the
# machine lacks come in .whl/, MNIST and Fashion-MNIST as .data/*.tgz (both git-ignored, carried by
# the device tool). Each argument is one `make` command line, run in parallel with the others,
# all within LIMIT seconds; the pages (docs/results) and the sweeps' small files come back in $OUT.
#   LIMIT=480 bash benchmarks/device_tables.sh "table-infogan TRAINER=gpu JOBS=5" ...
# CPU check of the script itself: OUT=/tmp/out LIMIT=60 DRY=1 bash benchmarks/device_tables.sh ...
set -u
LIMIT=${LIMIT:-480}
OUT=${OUT:-/tmp/out}
PY=${PY:-python3}
mkdir -p "$OUT" /tmp/data
if [ -z "${DRY:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
  for archive in .data/*.tgz; do tar xzf "$archive" -C /tmp/data; done
fi
DATA=${DATA:-/tmp/data}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > "$OUT/device.txt" 2>/dev/null || echo "no GPU" > "$OUT/device.txt"
echo "$(nproc) CPU cores" >> "$OUT/device.txt"
start=$(date +%s)
# The domain classifiers the tables score with, trained once before the sweeps (not once per job).
for data in mnist fashion_mnist; do
  $PY -m zoo.classifier dataset=$data dataset.root=$DATA > "$OUT/classifier_$data.log" 2>&1
done
echo "classifiers: $(( $(date +%s) - start )) s" >> "$OUT/device.txt"
pids=()
for line in "$@"; do
  name=$(echo "$line" | cut -d' ' -f1)
  # shellcheck disable=SC2086  # a make command line: its words are separate arguments
  timeout $(( LIMIT - ($(date +%s) - start) )) make -o install -o .venv/.installed PY=$PY DATA_ROOT=$DATA $line \
    > "$OUT/$name.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
echo "tables: $(( $(date +%s) - start )) s" >> "$OUT/device.txt"
cp -r docs/results "$OUT/results" 2>/dev/null
tar czf "$OUT/sweeps.tgz" --exclude='*.ckpt' outputs/tables 2>/dev/null
