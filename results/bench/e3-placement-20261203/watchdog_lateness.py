#!/usr/bin/env python3
"""watchdog_lateness.py PERF_SCRIPT - lateness of each HTB watchdog expiry
(hrtimer_expire_entry's now minus the expires of the hrtimer_start that armed
it), split by the context it interrupted: a task, an idle CPU, or an idle
CPU on which a task had just been woken (by another CPU's IPI) and had not
yet been switched in. perf record -a -e sched:sched_wakeup,sched:sched_switch,
timer:hrtimer_start,timer:hrtimer_expire_entry,... then perf script -F
cpu,time,event,trace."""
import collections, re, sys

armed, running, woken = {}, {}, {}
late = collections.defaultdict(list)
for line in open(sys.argv[1]):
    m = re.match(r'\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)', line)
    if not m:
        continue
    cpu, name, trace = int(m.group(1)), m.group(3), m.group(4)
    if name == 'sched:sched_switch':
        running[cpu] = re.search(r'next_comm=(\S+)', trace).group(1)
        woken.pop(cpu, None)
    elif name == 'sched:sched_wakeup':
        w = re.search(r'comm=(\S+) .*target_cpu=(\d+)', trace)
        if int(w.group(2)) == cpu and running.get(cpu, '').startswith('swapper') and 'ksoftirqd' not in w.group(1):
            woken[cpu] = True
    elif 'qdisc_watchdog' in trace:
        timer = re.search(r'hrtimer=(\S+)', trace).group(1)
        if name == 'timer:hrtimer_start':
            armed[timer] = int(re.search(r' expires=(\d+)', trace).group(1))
        elif name == 'timer:hrtimer_expire_entry' and timer in armed:
            now = int(re.search(r'now=(\d+)', trace).group(1))
            ctx = 'task' if not running.get(cpu, '?').startswith('swapper') else \
                ('idle, a task just woken' if cpu in woken else 'idle')
            late[ctx].append((now - armed.pop(timer)) / 1000)
for ctx, v in sorted(late.items()):
    v.sort()
    n = len(v)
    print(f'{ctx:24s} n={n:5d} lateness us: p10 {v[n // 10]:8.1f} p50 {v[n // 2]:8.1f} p90 {v[n * 9 // 10]:8.1f} max {v[-1]:9.1f}')
