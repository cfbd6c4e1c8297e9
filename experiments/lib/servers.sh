# shellcheck shell=bash
# servers.sh - real servers that are not ours (Knot DNS, memcached), run in
# a lab namespace in the foreground under the caller's control: configs and
# data written into a directory of the run, started, probed until they
# answer, stopped (never left paused). Used by E6/E7 (realproto.sh) and the
# proto test suite. Functions are prefixed srv_; they return non-zero with
# one line on stderr on failure.

# srv_in NS CMD... - CMD in network namespace NS, or here when NS is empty
# (the tests run servers on loopback without a lab).
srv_in() {
  local ns=$1
  shift
  if [ -n "$ns" ]; then ip netns exec "$ns" "$@"; else "$@"; fi
}

# srv_spawn NS LOG CMD... - start CMD in NS (or here) as a background job
# whose pid ($!) is CMD's own (exec, no shell in between: signals reach it).
srv_spawn() {
  local ns=$1 log=$2
  shift 2
  if [ -n "$ns" ]; then
    exec_in() { exec ip netns exec "$ns" "$@"; }
  else
    exec_in() { exec "$@"; }
  fi
  ( exec_in "$@" ) > "$log" 2>&1 &
}

# srv_require BIN PACKAGE - BIN is installed; else one line naming the package.
srv_require() {
  command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] && return 0
  echo "$1 not found: install the Debian package '$2' (scripts/bootstrap.sh does)" >&2
  return 1
}

# srv_path BIN - the full path of BIN (sbin directories included).
srv_path() { PATH=$PATH:/usr/sbin:/sbin command -v "$1"; }

# srv_versions - "knotd=...;memcached=...;unbound=...;dnsperf=..." of what is installed.
srv_versions() {
  local out="" v
  v=$("$(srv_path knotd)" -V 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1) && out+="knotd=$v;"
  v=$(memcached -V 2>/dev/null | awk '{ print $2 }') && [ -n "$v" ] && out+="memcached=$v;"
  v=$("$(srv_path unbound)" -V 2>/dev/null | awk '/^Version/ { print $2 }') && [ -n "$v" ] && out+="unbound=$v;"
  v=$(dpkg-query -W -f='${Version}' dnsperf 2>/dev/null) && [ -n "$v" ] && out+="dnsperf=$v;"
  echo "${out%;}"
}

# srv_stop PID [SECS] - continue (a paused server cannot act on SIGTERM),
# SIGTERM, wait up to SECS (5), then SIGKILL. The PID must be our child.
srv_stop() {
  local pid=$1 secs=${2:-5} i
  [ -n "$pid" ] || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  for ((i = 0; i < secs * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# ---- DNS: Knot DNS ---------------------------------------------------------

# srv_dns_zone DIR ZONE NAMES - DIR/ZONE.zone: SOA, NS and A records
# h0..h<NAMES-1> -> 198.19.x.y (inside 198.18.0.0/15; never contacted).
srv_dns_zone() {
  local dir=$1 zone=$2 names=$3
  mkdir -p "$dir"
  awk -v z="$zone" -v n="$names" 'BEGIN {
    printf "$ORIGIN %s.\n$TTL 3600\n", z
    printf "@ IN SOA ns.%s. hostmaster.%s. 1 3600 900 604800 60\n", z, z
    printf "@ IN NS ns\nns IN A 198.18.0.53\n"
    for (i = 0; i < n; i++) printf "h%d IN A 198.19.%d.%d\n", i, int(i / 256) % 256, i % 256
  }' > "$dir/$zone.zone"
}

# srv_knot_conf DIR ZONEDIR ZONE ADDR PORT - DIR/knot.conf: one server,
# the zone from ZONEDIR, run state (pid, databases, control socket) in DIR.
srv_knot_conf() {
  local dir=$1 zonedir=$2 zone=$3 addr=$4 port=$5
  mkdir -p "$dir/db"
  cat > "$dir/knot.conf" <<KNOT
server:
    rundir: "$dir"
    listen: $addr@$port
database:
    storage: "$dir/db"
control:
    listen: "$dir/knot.sock"
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: "$zonedir"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $zone
    file: "$zone.zone"
KNOT
}

# srv_dns_probe NS ADDR PORT ZONE CLIENT [TIMEOUT] - one A query with
# hedge-client (no other tool needed) answered with NOERROR: 0, else 1.
srv_dns_probe() {
  local out
  out=$(srv_in "$1" "$5" --proto dns --zone "$4" --requests 1 --warmup 0 --timeout "${6:-300ms}" \
        --quiet "$2:$3" 2>/dev/null) || return 1
  grep -q 'timeouts 0 ' <<< "$out" && grep -q 'error answers 0 ' <<< "$out"
}

# srv_knot_start NS DIR ADDR PORT ZONE CLIENT LOG - start knotd in NS (or
# here, NS empty) in the
# foreground (background job of this shell) and wait until it answers (10 s).
# Sets SRV_PID. 1 with one line when it does not come up (it is stopped).
SRV_PID=""
srv_knot_start() {
  local ns=$1 dir=$2 addr=$3 port=$4 zone=$5 client=$6 log=$7 i
  SRV_PID=""
  srv_require knotd knot || return 1
  srv_spawn "$ns" "$log" "$(srv_path knotd)" -c "$dir/knot.conf"
  SRV_PID=$!
  for ((i = 0; i < 50; i++)); do
    kill -0 "$SRV_PID" 2>/dev/null || break
    srv_dns_probe "$ns" "$addr" "$port" "$zone" "$client" && return 0
    sleep 0.2
  done
  echo "knotd on $addr:$port did not answer within 10 s: $(grep -v '^$' "$log" | tail -n1)" >&2
  srv_stop "$SRV_PID"
  SRV_PID=""
  return 1
}

# ---- memcached -------------------------------------------------------------

# srv_mc_start NS ADDR PORT LOG - memcached with UDP and TCP on ADDR:PORT in
# NS (foreground, background job), waits until it answers over TCP (10 s).
# Sets SRV_PID.
srv_mc_start() {
  local ns=$1 addr=$2 port=$3 log=$4 i
  SRV_PID=""
  srv_require memcached memcached || return 1
  srv_spawn "$ns" "$log" memcached -U "$port" -p "$port" -l "$addr" -u root -t 2 -m 64 -v
  SRV_PID=$!
  for ((i = 0; i < 50; i++)); do
    kill -0 "$SRV_PID" 2>/dev/null || break
    srv_mc_cmd "$ns" "$addr" "$port" version 2>/dev/null | grep -q '^VERSION' && return 0
    sleep 0.2
  done
  echo "memcached on $addr:$port did not answer within 10 s: $(grep -v '^$' "$log" | tail -n1)" >&2
  srv_stop "$SRV_PID"
  SRV_PID=""
  return 1
}

# srv_mc_cmd NS ADDR PORT CMD - one text command over TCP; its reply up to
# END/VERSION/an error line (3 s at most), CRs removed.
srv_mc_cmd() {
  # shellcheck disable=SC2016
  srv_in "$1" timeout 3 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "%s\r\n" "$3" >&3
    while IFS= read -r -t 2 line <&3; do
      line=${line%$'"'"'\r'"'"'}
      echo "$line"
      case $line in END|VERSION*|ERROR*|CLIENT_ERROR*|SERVER_ERROR*) break ;; esac
    done' mc "$2" "$3" "$4"
}

# srv_mc_value_size SPEC I - bytes of the value of key I: SPEC "small" (100
# bytes, one datagram) or "mixed" (I % 10 == 3: 2000 bytes, 2 datagrams;
# I % 10 == 7: 3500 bytes, 3 datagrams; else 100).
srv_mc_sizes_awk='function vsize(spec, i) { if (spec == "mixed") { if (i % 10 == 3) return 2000; if (i % 10 == 7) return 3500 } return 100 }'

# srv_mc_populate NS ADDR PORT PREFIX KEYS SPEC - set PREFIX0..PREFIX<KEYS-1>
# over TCP (noreply, then one "version" to know all were read).
srv_mc_populate() {
  local ns=$1 addr=$2 port=$3 prefix=$4 keys=$5 spec=$6
  # shellcheck disable=SC2016
  srv_in "$ns" timeout 30 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    awk -v p="$3" -v n="$4" -v spec="$5" "$6"'"'"'
      BEGIN { for (i = 0; i < n; i++) { s = vsize(spec, i); v = sprintf("%*s", s, ""); gsub(/ /, "v", v)
                printf "set %s%d 0 0 %d noreply\r\n%s\r\n", p, i, s, v }
              printf "version\r\n" }'"'"' >&3
    IFS= read -r -t 10 line <&3 && [[ $line == VERSION* ]]' mc "$addr" "$port" "$prefix" "$keys" "$spec" "$srv_mc_sizes_awk" \
  || { echo "could not store $keys keys in memcached at $addr:$port" >&2; return 1; }
}

# srv_mc_stats NS ADDR PORT - "name value" lines of memcached's counters.
srv_mc_stats() {
  srv_mc_cmd "$1" "$2" "$3" stats | awk '$1 == "STAT" { print $2, $3 }'
}

# srv_mc_stats_settled NS ADDR PORT - the counters once cmd_get stopped
# moving (two reads 0.2 s apart agree; 5 s at most): a server continued
# after a pause still works off the requests queued meanwhile.
srv_mc_stats_settled() {
  local prev="" cur i
  for ((i = 0; i < 25; i++)); do
    cur=$(srv_mc_stats "$@")
    [ -n "$prev" ] && [ "$(awk '$1 == "cmd_get"' <<< "$cur")" = "$(awk '$1 == "cmd_get"' <<< "$prev")" ] && break
    prev=$cur
    sleep 0.2
  done
  echo "$cur"
}

# ---- Unbound (recursive resolver) -----------------------------------------

# srv_unbound_conf DIR ADDR PORT ZONE UPSTREAM... - DIR/unbound.conf: a
# resolver on ADDR:PORT forwarding ZONE to the UPSTREAM addresses (port 53),
# choosing among them by its own RTT-based selection and retrying on
# timeouts. Nothing is cached (TTLs capped at 0), so every query goes
# upstream; no DNSSEC validation (iterator only); no remote control.
srv_unbound_conf() {
  local dir=$1 addr=$2 port=$3 zone=$4 u
  shift 4
  mkdir -p "$dir"
  {
    cat <<UNBOUND
server:
    interface: $addr@$port
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    do-ip6: no
    module-config: "iterator"
    cache-max-ttl: 0
    cache-max-negative-ttl: 0
    prefetch: no
    qname-minimisation: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    access-control: 198.18.0.0/15 allow
    local-zone: "test." nodefault
remote-control:
    control-enable: no
forward-zone:
    name: "$zone"
UNBOUND
    for u in "$@"; do echo "    forward-addr: $u@53"; done
  } > "$dir/unbound.conf"
}

# srv_unbound_start NS DIR ADDR PORT ZONE CLIENT LOG - unbound in NS in the
# foreground (background job), until a query through it is answered (10 s).
srv_unbound_start() {
  local ns=$1 dir=$2 addr=$3 port=$4 zone=$5 client=$6 log=$7 i
  SRV_PID=""
  srv_require unbound unbound || return 1
  srv_spawn "$ns" "$log" "$(srv_path unbound)" -d -c "$dir/unbound.conf"
  SRV_PID=$!
  for ((i = 0; i < 20; i++)); do
    kill -0 "$SRV_PID" 2>/dev/null || break
    srv_dns_probe "$ns" "$addr" "$port" "$zone" "$client" 1s && return 0
    sleep 0.2
  done
  echo "unbound on $addr:$port did not answer within 10 s: $(grep -v '^$' "$log" | tail -n1)" >&2
  srv_stop "$SRV_PID"
  SRV_PID=""
  return 1
}
