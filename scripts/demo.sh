#!/usr/bin/env bash
# Set up and run the example pipeline on the embedded local runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/flyte run examples/pipeline.py main --shards 6 --readings 400
