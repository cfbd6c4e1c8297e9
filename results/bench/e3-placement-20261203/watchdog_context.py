#!/usr/bin/env python3
"""watchdog_context.py PERF_SCRIPT - for each HTB watchdog expiry (qdisc_watchdog),
the context it interrupted (idle or a task; for idle: whether a task had been
woken on that CPU and not yet switched in) and whether that release then woke
ksoftirqd before its NET_RX pass ended. Input: perf script -F cpu,time,event,trace
of sched:sched_wakeup, sched:sched_switch, timer:hrtimer_expire_entry,
irq:softirq_exit (and more) recorded with perf record -a during an E3 run."""
import collections, re, sys

ev = []
for line in open(sys.argv[1]):
    m = re.match(r'\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)', line)
    if m:
        ev.append((int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)))
running, woken_at, pending = {}, {}, {}
stats, gaps = collections.Counter(), []
for cpu, t, name, trace in ev:
    if name == 'sched:sched_switch':
        running[cpu] = re.search(r'next_comm=(\S+)', trace).group(1)
        woken_at.pop(cpu, None)
    elif name == 'sched:sched_wakeup':
        m = re.search(r'comm=(\S+) .*target_cpu=(\d+)', trace)
        if 'ksoftirqd' in m.group(1):
            if cpu in pending:
                stats[pending.pop(cpu) + ' | woke ksoftirqd'] += 1
        elif int(m.group(2)) == cpu and running.get(cpu, '').startswith('swapper'):
            woken_at[cpu] = t
    elif name == 'timer:hrtimer_expire_entry' and 'qdisc_watchdog' in trace:
        idle = running.get(cpu, '?').startswith('swapper')
        if cpu in woken_at:
            gaps.append((t - woken_at[cpu]) * 1e6)
        key = ('idle' if idle else 'task') + ', ' + \
            ('a woken task not yet running' if cpu in woken_at else 'no woken task waiting')
        stats[key + ' | expiries'] += 1
        pending[cpu] = key
    elif name == 'irq:softirq_exit' and 'NET_RX' in trace:
        pending.pop(cpu, None)
for k, v in sorted(stats.items()):
    print(f'{k}: {v}')
gaps.sort()
if gaps:
    n = len(gaps)
    print(f'wake-up to watchdog expiry (us): p10 {gaps[n // 10]:.0f} p50 {gaps[n // 2]:.0f} p90 {gaps[n * 9 // 10]:.0f} (n={n})')
