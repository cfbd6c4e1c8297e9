/* hedge-client: closed- and open-loop UDP load generator for chaos-server,
 * as a baseline (also the kernel-hedged arm) or with application-level
 * hedging, under optional GC-pause and CPU-stress disturbances. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "client_opts.h"
#include "cpuctl.h"
#include "engine.h"
#include "gcpause.h"
#include "log.h"
#include "report.h"
#include "timeutil.h"

/* A random tag per run keeps replies meant for another run from matching. */
static uint32_t run_tag(void)
{
	uint32_t tag;

	if (getrandom(&tag, sizeof(tag), 0) != sizeof(tag))
		tag = (uint32_t)(time_real_ns() ^ ((uint64_t)getpid() << 16));
	return tag;
}

/* --pin and --sched for the calling (client) thread. */
static int apply_placement(const struct copts *o)
{
	int err;

	if (o->pin_cpu >= 0) {
		err = cpuctl_pin_self(o->pin_cpu);
		if (err) {
			log_error("cannot pin to CPU %d: %s", o->pin_cpu, strerror(-err));
			return err;
		}
	}
	if (o->sched_policy >= 0) {
		err = cpuctl_sched_self(o->sched_policy, o->sched_priority);
		if (err) {
			log_error("cannot set --sched %s: %s%s", copts_sched_name(o->sched_policy),
				  strerror(-err), err == -EPERM ? " (needs root or CAP_SYS_NICE)" : "");
			return err;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cpuctl_stress *stress = NULL;
	struct report_extra extra = { 0 };
	struct gcpause *gc = NULL;
	struct eng_result res = { 0 };
	struct copts o;
	int err;

	log_set_program("hedge-client");
	if (copts_parse(argc, argv, &o))
		return 2;
	if (o.help)
		return 0;
	if (o.verbose)
		log_set_level(LOG_LVL_DEBUG);
	if (o.out_dir && report_check_out_dir(o.out_dir))
		return 2;

	/* Burners first, with their own explicit placement and class. */
	if (o.stress) {
		err = cpuctl_stress_start(&stress, (unsigned int)o.stress, o.pin_cpu);
		if (err) {
			log_error("cannot start %llu stress threads: %s",
				  (unsigned long long)o.stress, strerror(-err));
			goto cleanup;
		}
	}
	/* The pauser is created before pinning so it is not stuck behind the
	 * client and the burners on one CPU. */
	if (o.gc_pause_ns) {
		err = gcp_start(&gc, pthread_self(), time_mono_ns(), o.gc_pause_ns,
				o.gc_pause_rate_hz, o.seed);
		if (err) {
			log_error("cannot start the GC-pause thread: %s", strerror(-err));
			goto cleanup;
		}
	}
	err = apply_placement(&o);
	if (err)
		goto cleanup;

	err = eng_run(&o, run_tag(), &res);
	gcp_stop(gc, &extra.gc_pauses, &extra.gc_paused_ns);
	gc = NULL;
	cpuctl_stress_stop(stress);
	stress = NULL;
	if (err)
		goto cleanup;

	report_print_summary(stdout, &o, &res, &extra);
	fflush(stdout);
	if (o.out_dir)
		err = report_write_dir(&o, argc, argv, &res, &extra);
cleanup:
	gcp_stop(gc, &extra.gc_pauses, &extra.gc_paused_ns);
	cpuctl_stress_stop(stress);
	eng_result_free(&res);
	return err ? 1 : 0;
}
