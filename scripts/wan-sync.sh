#!/usr/bin/env bash
# Live sync across an emulated wide-area link. Two network namespaces are joined by a
# user-space link (scripts/netem/linkemu.py: delay, loss, rate, cuts; this kernel has no
# netem); a patient's `carnet serve` runs in one, a clinician's `carnet sync` in the other.
# For each condition: a first sync (notes, two weeks of CGM readings, a 1 MB scanned
# letter), an incremental one after one new note, and a no-op one (after an unmeasured
# sync that brings the consent entry logging the incremental one), each measured: wall time,
# application bytes (the sync's JSON), bytes and packets on the wire and round trips (the
# emulator's packet log). Prints a markdown table; writes every figure as JSON lines.
#
# Usage: scripts/wan-sync.sh [--conditions rtt20,loss1] [--bin PATH] [--out DIR] [--keep]
#   --conditions  comma-separated names from the list below [default: all of them]
#   --bin         the carnet binary [default: $CARNET_BIN, else $CARGO_TARGET_DIR/debug/carnet]
#   --out         where results.jsonl, table.md and the packet logs go [default: a temporary
#                 directory, removed at the end unless --keep]
# Exit status: 0 every sync succeeded; 1 some sync failed (the table says which and why);
# 2 a setup error; 77 this machine cannot run it (not root, no `ip netns`, no /dev/net/tun,
# no python3): the reason is printed, nothing was changed.
#
# Needs root. Every packet stays inside the two namespaces made here (198.18.0.1 and
# 198.18.0.2, RFC 2544's benchmarking range, exist only there); they, their processes and
# the emulator are removed on every exit path.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
emu="$root/scripts/netem/linkemu.py"
summarize="$root/scripts/netem/summarize.py"

# name | RTT in ms | loss (probability, each direction) | rate in bit/s (0: none) | cut during the first sync (AT:SECONDS, or -)
all_conditions="
rtt0     0   0     0        -
rtt20    20  0     0        -
rtt100   100 0     0        -
rtt300   300 0     0        -
loss1    20  0.01  0        -
loss5    20  0.05  0        -
1mbit    20  0     1000000  -
cut5s    20  0     1000000  2:5
128kbit  20  0     128000   -
64kbit   20  0     64000    -
"

conditions=""
bin="${CARNET_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/carnet}"
out=""
keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --conditions) conditions="$2"; shift 2 ;;
        --bin) bin="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ -n "$conditions" ] || conditions=$(echo "$all_conditions" | awk 'NF {print $1}' | paste -sd, -)

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces and TUN devices)"
command -v python3 >/dev/null || skip "needs python3 for the link emulator"
command -v ip >/dev/null || skip "needs iproute2's ip"
python3 -c 'import os; os.close(os.open("/dev/net/tun", os.O_RDWR))' 2>/dev/null ||
    skip "cannot open /dev/net/tun"
[ -x "$bin" ] || { echo "no carnet binary at $bin: run cargo build --bin carnet, or pass --bin" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
for c in ${conditions//,/ }; do
    echo "$all_conditions" | awk -v c="$c" '$1 == c {found=1} END {exit !found}' ||
        { echo "unknown condition $c; known: $(echo "$all_conditions" | awk 'NF {printf "%s ", $1}')" >&2; exit 2; }
done

tmp=$(mktemp -d -t "carnet-wan-$$.XXXXXX")
if [ -z "$out" ]; then out="$tmp/out"; fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
[ "$out" = "$tmp/out" ] || keep=1
results="$out/results.jsonl"
: >"$results"
suffix="$$-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
ns_a="carnet-wan-$suffix-a"
ns_b="carnet-wan-$suffix-b"
addr_a=198.18.0.1
addr_b=198.18.0.2
port=7777
pids=()

# The processes started here and not yet stopped (only children of this shell are
# signalled, so a reused process id is never hit).
ours() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }  # after the command name: state, parent id, ...
    set -- $stat
    [ "${2:-}" = "$$" ]
}
untrack() { local p rest=(); for p in "${pids[@]}"; do [ "$p" = "$1" ] || rest+=("$p"); done; pids=("${rest[@]}"); }
cleanup() {
    local p n
    for p in "${pids[@]}"; do ours "$p" && kill -TERM "$p" 2>/dev/null; done
    for _ in $(seq 1 20); do
        n=0
        for p in "${pids[@]}"; do ours "$p" && n=$((n + 1)); done
        [ "$n" = 0 ] && break
        sleep 0.1
    done
    for p in "${pids[@]}"; do ours "$p" && kill -KILL "$p" 2>/dev/null; done
    # Anything still running inside the namespaces was started here.
    for ns in "$ns_a" "$ns_b"; do
        if [ -e "/run/netns/$ns" ]; then
            for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
            ip netns del "$ns" 2>/dev/null
        fi
    done
    if [ "$keep" = 1 ] && [ "$out" = "$tmp/out" ]; then
        find "$tmp" -mindepth 1 -maxdepth 1 ! -name out -exec rm -rf {} +
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Namespaces left by a run of this script that was killed outright (SIGKILL skips the trap).
for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^carnet-wan-[0-9]+-[0-9a-f]+-[ab]$/ {print $1}'); do
    owner=${ns#carnet-wan-}; owner=${owner%%-*}
    if ! kill -0 "$owner" 2>/dev/null; then
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null && echo "removed $ns, left by an earlier run" >&2
    fi
done
for d in "${TMPDIR:-/tmp}"/carnet-wan-*.*; do
    owner=${d##*/carnet-wan-}; owner=${owner%%.*}
    [ -d "$d" ] && [ -d "$d/vaults" ] && [[ "$owner" =~ ^[0-9]+$ ]] && ! kill -0 "$owner" 2>/dev/null && rm -rf "$d"
done
# The long-lived processes end with this script even if it is killed outright.
pdeath=()
setpriv --help 2>/dev/null | grep -q -- --pdeathsig && pdeath=(setpriv --pdeathsig TERM --)
ip netns add "$ns_a" 2>/dev/null || skip "ip netns add fails here"
ip netns add "$ns_b" 2>/dev/null || skip "ip netns add fails here"
for ns in "$ns_a" "$ns_b"; do
    ip -n "$ns" link set lo up || exit 2
    ip netns exec "$ns" true 2>/dev/null || skip "ip netns exec fails here"
    # The link carries IPv4 only: no IPv6 on the devices made here.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
done

# CARNET_TEST_KDF=1: these throwaway vaults use the cheap --kdf-cost 10, for tests only.
export CARNET_PASSPHRASE="wan sync harness" NO_COLOR=1 CARNET_TEST_KDF=1
unset CARNET_VAULT CARNET_SYNC_TIMEOUT CARNET_RECOVERY_PHRASE
c() { "$bin" --vault "$1" "${@:2}"; }
json_get() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# The vaults, made once and copied for each condition (each first sync is a real one).
echo "making the vaults..." >&2
tpl="$tmp/vaults/template"
mkdir -p "$tpl"
{
    c "$tpl/patient" init --name "Alice Martin" --kdf-cost 10 --no-confirm-phrase &&
    c "$tpl/clinician" init --name "Dr Martin" --role clinician --kdf-cost 10 --no-confirm-phrase &&
    card=$(json_get "$(c "$tpl/clinician" --json whoami)" card) &&
    c "$tpl/patient" contact add "Dr Martin" "$card" &&
    for i in 1 2 3 4 5; do c "$tpl/patient" add note --text "Note $i: dizzy after the new dose, better at night"; done &&
    c "$tpl/patient" add allergy --substance Penicillin --criticality high --reaction hives &&
    c "$tpl/patient" add condition --name "Type 2 diabetes" --code "snomed|44054006" --onset 2019-03 &&
    c "$tpl/patient" add medication --name Metformin --dosage "500 mg twice a day" &&
    python3 - "$tpl/cgm.csv" <<'EOF' &&
import math, sys
# Two weeks of CGM readings every five minutes (4,032), generic CSV.
with open(sys.argv[1], "w") as f:
    f.write("time,kind,value,unit,source\n")
    for i in range(14 * 288):
        d, m = divmod(i * 5, 1440)
        v = 6.5 + 2.0 * math.sin(i / 20.0) + ((i * 37) % 11) / 10
        f.write(f"2026-11-{1 + d:02d} {m // 60:02d}:{m % 60:02d},glucose,{v:.1f},mmol/L,cgm\n")
EOF
    c "$tpl/patient" import csv "$tpl/cgm.csv" --format generic --tz UTC &&
    head -c 1000000 /dev/urandom >"$tpl/scanned-letter.pdf" &&
    c "$tpl/patient" attach "$tpl/scanned-letter.pdf" --type letter &&
    c "$tpl/patient" grant "Dr Martin" --sections allergies,conditions,medications,measurements,documents --access read --purpose "diabetes follow-up" &&
    c "$tpl/patient" grant "Dr Martin" --sections notes --access write --purpose "follow-up notes"
} >"$tmp/setup.log" 2>&1 || { echo "setting up the vaults failed:" >&2; cat "$tmp/setup.log" >&2; exit 2; }

# Sends a command to the running emulator (bounded: a FIFO nobody reads would block).
ctl() { timeout 5 bash -c 'echo "$1" >"$2"' _ "$*" "$ctl_fifo"; }

# Waits (at most $2 tenths of a second) for file $1 to have a first line.
wait_line() {
    local i
    for i in $(seq 1 "$2"); do
        [ -s "$1" ] && head -1 "$1" | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# stop PID: SIGTERM, then SIGKILL after 5 s; then forgets it.
stop() {
    local i
    if ours "$1"; then
        kill -TERM "$1" 2>/dev/null
        for i in $(seq 1 50); do ours "$1" || break; sleep 0.1; done
        ours "$1" && kill -KILL "$1" 2>/dev/null
    fi
    wait "$1" 2>/dev/null
    untrack "$1"
}

status=0
for cond in ${conditions//,/ }; do
    read -r _ rtt loss rate cut < <(echo "$all_conditions" | awk -v c="$cond" '$1 == c')
    echo "== $cond: RTT $rtt ms, loss $loss, rate $rate bit/s, cut $cut" >&2
    dir="$tmp/vaults/$cond"
    mkdir -p "$dir"
    cp -a "$tpl/patient" "$tpl/clinician" "$dir/"
    log="$out/$cond.packets.tsv"
    ctl_fifo="$tmp/$cond.ctl"
    delay=$(python3 -c "print($rtt / 2)")
    emu_args=(--ns-a "$ns_a" --ns-b "$ns_b" --addr-a "$addr_a" --addr-b "$addr_b"
        --delay-ms "$delay" --loss "$loss" --rate "$rate" --log "$log"
        --control "$ctl_fifo" --ready "$tmp/$cond.ready" --seed 7
        --max-seconds 1800 --exit-with-parent)
    python3 "$emu" run "${emu_args[@]}" >"$out/$cond.emu.json" 2>"$tmp/$cond.emu.err" &
    emu_pid=$!
    pids+=("$emu_pid")
    if ! wait_line "$tmp/$cond.ready" 100; then
        echo "the link emulator did not start:" >&2; cat "$tmp/$cond.emu.err" >&2; exit 2
    fi
    # carnet's default sync timeout (30 s) is kept: the harness measures what users get.
    ip netns exec "$ns_a" "${pdeath[@]}" "$bin" --vault "$dir/patient" --json serve --bind "$addr_a:$port" \
        >"$tmp/$cond.serve.out" 2>"$tmp/$cond.serve.err" &
    serve_pid=$!
    pids+=("$serve_pid")
    if ! wait_line "$tmp/$cond.serve.out" 300; then
        echo "carnet serve did not start:" >&2; cat "$tmp/$cond.serve.err" >&2; exit 2
    fi
    ticket=$(json_get "$(head -1 "$tmp/$cond.serve.out")" ticket)

    first_ok=1
    for phase in first incremental noop; do
        if [ "$phase" != first ] && [ "$first_ok" = 0 ]; then
            python3 -c 'import json,sys; print(json.dumps({"condition": sys.argv[1], "rtt_ms": float(sys.argv[2]), "loss": float(sys.argv[3]), "rate": float(sys.argv[4]), "cut": sys.argv[5], "phase": sys.argv[6], "ok": None, "error": "not run: the first sync failed"}))' \
                "$cond" "$rtt" "$loss" "$rate" "$cut" "$phase" >>"$results"
            continue
        fi
        if [ "$phase" = incremental ]; then
            c "$dir/patient" add note --text "Seen today: dose unchanged, next visit in 3 months" >/dev/null
        fi
        if [ "$phase" = noop ]; then
            # The sync after a delivery brings the consent entry that logs it; one more
            # sync, not measured, so that the measured one has nothing at all to bring.
            "${pdeath[@]}" timeout -k 5 120 ip netns exec "$ns_b" "$bin" --vault "$dir/clinician" \
                --json sync "$ticket" >/dev/null 2>&1 &
            sync_pid=$!
            pids+=("$sync_pid")
            wait "$sync_pid"
            untrack "$sync_pid"
        fi
        ctl "mark $phase-start"
        cutter=""
        if [ "$phase" = first ] && [ "$cut" != - ]; then
            (sleep "${cut%%:*}"; ctl "cut ${cut##*:}") &
            cutter=$!
            pids+=("$cutter")
        fi
        t0=$(date +%s.%N)
        # A guard far above carnet's own timeouts; it only ends a hung process.
        # In the background, so that a signal to this script is handled at once.
        "${pdeath[@]}" timeout -k 5 300 ip netns exec "$ns_b" "$bin" --vault "$dir/clinician" --json sync "$ticket" \
            >"$tmp/$cond.$phase.out" 2>"$tmp/$cond.$phase.err" &
        sync_pid=$!
        pids+=("$sync_pid")
        wait "$sync_pid"
        rc=$?
        untrack "$sync_pid"
        t1=$(date +%s.%N)
        [ -n "$cutter" ] && stop "$cutter"
        # Let the listener's last packets (acknowledgements of the close) cross the link.
        sleep "$(python3 -c "print(0.2 + 2 * $rtt / 1000)")"
        ctl "mark $phase-end"
        sleep 0.05
        wire=$(python3 "$emu" report "$log" --from "$phase-start" --to "$phase-end" --rtt-ms "$rtt")
        [ "$rc" = 0 ] || { status=1; [ "$phase" = first ] && first_ok=0; }
        # What the clinician can read now: the new note must be there after the incremental sync.
        seen=$(c "$dir/clinician" --json list --patient "Alice Martin" 2>/dev/null |
            python3 -c 'import json,sys; l=json.load(sys.stdin); print(len(l), int(any("Seen today" in json.dumps(e) for e in l)))' 2>/dev/null || echo "0 0")
        python3 - "$cond" "$rtt" "$loss" "$rate" "$cut" "$phase" "$rc" "$t0" "$t1" \
            "$tmp/$cond.$phase.out" "$tmp/$cond.$phase.err" "$wire" $seen >>"$results" <<'EOF'
import json, sys
cond, rtt, loss, rate, cut, phase, rc, t0, t1, out, err, wire, entries, note = sys.argv[1:]
row = {"condition": cond, "rtt_ms": float(rtt), "loss": float(loss), "rate": float(rate),
       "cut": cut, "phase": phase, "ok": rc == "0", "rc": int(rc),
       "time_s": round(float(t1) - float(t0), 3), "wire": json.loads(wire),
       "clinician_entries": int(entries), "new_note_seen": note == "1"}
if rc == "0":
    app = json.load(open(out))
    row["app"] = app
    row["app_bytes"] = app["bytes_sent"] + app["bytes_received"]
else:
    lines = [l.strip() for l in open(err, errors="replace") if l.strip()]
    row["error"] = " / ".join(lines[-3:]) if lines else f"exit status {rc}, nothing on stderr"
print(json.dumps(row))
EOF
        tail -1 "$results" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("   %-11s %s %6.2f s  app %s B  wire %s B  round trips %s%s" % (r["phase"], "ok  " if r["ok"] else "FAIL", r["time_s"], r.get("app_bytes", "-"), r["wire"]["wire_bytes"], r["wire"]["round_trips"], "" if r["ok"] else "  " + r["error"]))' >&2
    done
    stop "$serve_pid"
    ctl stop
    for _ in $(seq 1 50); do ours "$emu_pid" || break; sleep 0.1; done
    stop "$emu_pid"
    # What the listener printed (its own view of each session, and its errors).
    cp "$tmp/$cond.serve.out" "$out/$cond.serve.jsonl"
    cp "$tmp/$cond.serve.err" "$out/$cond.serve.err"
done

python3 "$summarize" "$results" | tee "$out/table.md"
[ "$keep" = 1 ] && echo "results, packet logs and the table are in $out" >&2
exit "$status"
