#!/usr/bin/env bash
# test_table: the paper's generated tables and macros carry exactly the
# numbers of summary.csv (up to the table's rounding), checked by a reader
# written independently of generate.sh. Also, when reference results are
# committed, paper/generated/ must be what generate.sh makes from them.
set -euo pipefail
paper=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/../../tests/lib.sh"
work_dir
tmp=$T_WORK

# check_tables RESULTS_DIR GENERATED_DIR
check_tables() {
  local res=$1 gen=$2
  awk -F, -v gen="$gen" '
    function close_enough(tex, csv,   d, dec) {
      if (csv == "") return tex == "--"
      if (tex !~ /^-?[0-9]+(\.[0-9]+)?$/) return 0
      dec = (index(tex, ".") ? length(tex) - index(tex, ".") : 0)
      d = tex - csv; if (d < 0) d = -d
      return d <= 0.5 * 10 ^ -dec + 1e-9
    }
    function bad(msg) { print "FAIL: " FILENAME ": " msg > "/dev/stderr"; failed = 1 }
    NR == 1 { next }
    {
      file = gen "/table-" $1 ".tex"; rows[$1]++
      line = ""
      while ((getline l < file) > 0) { split(l, c, " & "); if (c[1] == $2) line = l }
      close(file)
      if (line == "") { bad("no row for " $1 "/" $2 " in " file); next }
      sub(/ \\\\$/, "", line); gsub(/\\%/, "", line)
      n = split(line, c, " & ")
      if (n != 10) { bad($1 "/" $2 ": " n " cells"); next }
      # cells with a CI: "v [lo, hi]"
      split(c[4], p99, /[][ ,]+/); split(c[6], mx, /[][ ,]+/)
      ok = close_enough(c[2], $8) && close_enough(c[3], $9) && close_enough(p99[1], $10) &&
           close_enough(c[5], $11) && close_enough(mx[1], $12) && close_enough(c[7], $17) &&
           c[8] == $18 && c[9] == $19 && c[10] == $21
      if ($13 != "") ok = ok && close_enough(p99[2], $13) && close_enough(p99[3], $14) &&
                           close_enough(mx[2], $15) && close_enough(mx[3], $16)
      if (!ok) bad($1 "/" $2 ": table row \"" line "\" does not match summary.csv")
    }
    END {
      for (e in rows) {
        file = gen "/table-" e ".tex"; n = 0
        while ((getline l < file) > 0) if (l ~ / \\\\$/ && l !~ /^(arm &|kernel\/baseline &|kernel \$-\$ baseline )/) n++
        if (n != rows[e]) { print "FAIL: " file ": " n " rows, summary.csv has " rows[e] > "/dev/stderr"; failed = 1 }
      }
      exit failed
    }' "$res/summary.csv" || fail "tables of $res differ from its summary.csv"
  # Macros: verbatim copies of the cells.
  local want got
  want=$(awk -F, 'NR == 2 { print $10 }' "$res/summary.csv")
  exp=$(awk -F, 'NR == 2 { print $1 "@" $2 }' "$res/summary.csv")
  got=$(grep -F "csname khres@$exp@p99_ms\\endcsname" "$gen/results.tex" | sed 's/.*endcsname{\(.*\)}$/\1/')
  [ "$got" = "$want" ] || fail "results.tex p99 of $exp: '$got', summary.csv has '$want'"
}

# 1. A hand-made fixture with empty cells, three magnitudes and a dead arm.
cp -r "$paper/tests/fixture" "$tmp/res"
mkdir "$tmp/res/figures"
"$paper/generate.sh" "$tmp/res" "$tmp/gen" >/dev/null
check_tables "$tmp/res" "$tmp/gen"
grep -q 'khmeta@cpu_model\\endcsname{Fixture CPU\\_x @ 100\\%}' "$tmp/gen/meta.tex" || fail "meta.tex escaping"
# The checker must be able to fail: corrupt one number and expect a failure.
sed -i 's/^app & 2.152/app \& 2.162/' "$tmp/gen/table-E1.tex"
if (check_tables "$tmp/res" "$tmp/gen") 2>/dev/null; then fail "a corrupted table passed the check"; fi

# E3's do-no-harm rows (E3/tail.csv) sit under the arms: ratio and excess.
rm -rf "$tmp/gen"
mkdir -p "$tmp/res/E3"
printf 'percentile,baseline_ms,kernel_ms,ratio,excess_us\nP50,0.015,0.018,1.20,3.0\nP99,0.019,0.211,11.11,192.0\nP99.9,0.109,3.756,34.46,3647.0\nMAX,0.142,4.848,34.14,4706.0\n' > "$tmp/res/E3/tail.csv"
"$paper/generate.sh" "$tmp/res" "$tmp/gen" >/dev/null
if grep -q '^E3,' "$tmp/res/summary.csv"; then
  check_tables "$tmp/res" "$tmp/gen"
  grep -qF 'kernel/baseline & 1.20$\times$ & -- & 11.11$\times$ & 34.46$\times$ & 34.14$\times$ &' "$tmp/gen/table-E3.tex" \
    || fail "table-E3 ratio row: $(cat "$tmp/gen/table-E3.tex")"
fi

# E3L (the line on its own CPU) gets its own table with its own tail rows.
rm -rf "$tmp/gen"
mkdir -p "$tmp/res/E3L"
head -n 1 "$tmp/res/summary.csv" | tr , '\n' | awk '{ v = ($0 == "experiment") ? "E3L" : ($0 == "arm") ? "ARM" : ($0 ~ /_ms$/) ? "0.050" : "" ; printf "%s%s", (NR > 1 ? "," : ""), v } END { print "" }' > "$tmp/e3l.row"
sed 's/ARM/baseline/' "$tmp/e3l.row" >> "$tmp/res/summary.csv"
sed 's/ARM/kernel/' "$tmp/e3l.row" >> "$tmp/res/summary.csv"
printf 'percentile,baseline_ms,kernel_ms,ratio,excess_us\nP50,0.050,0.050,1.00,0.0\nP99,0.050,0.050,1.04,2.0\nP99.9,0.050,0.050,1.10,5.0\nMAX,0.050,0.050,1.50,25.0\n' > "$tmp/res/E3L/tail.csv"
"$paper/generate.sh" "$tmp/res" "$tmp/gen" >/dev/null
grep -qF 'kernel/baseline & 1.00$\times$ & -- & 1.04$\times$ & 1.10$\times$ & 1.50$\times$ &' "$tmp/gen/table-E3L.tex" \
  || fail "table-E3L ratio row: $(cat "$tmp/gen/table-E3L.tex" 2>/dev/null)"
grep -q '^kernel & ' "$tmp/gen/table-E3L.tex" || fail "table-E3L has no kernel row"

# 2. Bad input: one error line, non-zero exit, nothing generated.
if "$paper/generate.sh" "$tmp/nonexistent" "$tmp/gen2" 2> "$tmp/err"; then fail "accepted a missing dir"; fi
[ "$(wc -l < "$tmp/err")" = 1 ] && [ ! -e "$tmp/gen2" ] || fail "bad input: $(cat "$tmp/err")"

# 3. The committed reference results and paper/generated agree.
ref=$paper/../results/reference
if [ -f "$ref/summary.csv" ]; then
  check_tables "$ref" "$paper/generated"
  "$paper/generate.sh" "$ref" "$tmp/regen" >/dev/null
  diff -r "$tmp/regen" "$paper/generated" >&2 || fail "paper/generated is stale: run paper/generate.sh results/reference"
else
  echo "note: no results/reference yet, only the fixture was checked"
fi
echo "paper tables: all checks passed"
