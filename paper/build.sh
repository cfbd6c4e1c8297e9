#!/usr/bin/env bash
# build.sh - regenerate the paper's numbers from a results directory and build
# paper/paper.pdf with latexmk (install TeX with scripts/bootstrap.sh --with-tex).
#
# Usage: paper/build.sh [RESULTS_DIR]     (default: results/reference)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
res=${1:-$here/../results/reference}
command -v latexmk >/dev/null || { echo "build.sh: latexmk is not installed (scripts/bootstrap.sh --with-tex)" >&2; exit 1; }
"$here/generate.sh" "$res"
cd "$here"
latexmk -silent paper.tex >/dev/null || { echo "build.sh: latexmk failed, see paper/paper.log" >&2; exit 1; }
echo "build.sh: $here/paper.pdf"
