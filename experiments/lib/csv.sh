# shellcheck shell=bash
# csv.sh - read the programs' machine-readable results: CSV files
# (manifest.csv, requests.csv, bpf_stats.csv, ...) by header name, never by
# column position, and KEY=VALUE files (params.txt, server.stats) by key.

# ra_keyval KEY FILE - the value of KEY=VALUE in FILE (the first one).
ra_keyval() { awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$2"; }

# ra_csv [-v VAR=VALUE]... PROGRAM FILE... - awk -F, PROGRAM over the data
# rows of each FILE; in PROGRAM, col("name") is that column's field number
# in the current file (a column the header lacks stops awk with status 2).
ra_csv() {
  local vars=()
  while [ "${1:-}" = -v ]; do vars+=(-v "$2"); shift 2; done
  local prog=$1
  shift
  awk -F, "${vars[@]}" '
    function col(name) {
      if (!(name in ra_col)) {
        printf "%s: no column \"%s\"\n", FILENAME, name > "/dev/stderr"
        exit 2
      }
      return ra_col[name]
    }
    FNR == 1 { split("", ra_col); for (i = 1; i <= NF; i++) ra_col[$i] = i; next }
    '"$prog" "$@"
}
