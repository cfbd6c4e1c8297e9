/* commands.h: the hedger CLI's subcommands and the counter helpers they share. */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include "hedger.h"
#include "latency_hist.h"

int cmd_probe(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_detach(int argc, char **argv);

/* stats_read_counters - sum the per-CPU counters map @fd into @out. */
int stats_read_counters(int fd, uint64_t out[HC_COUNT]);
/* stats_print_counters - one "name value" line per counter. */
void stats_print_counters(FILE *f, const uint64_t c[HC_COUNT]);
/* stats_print_line - one-line summary for attach's periodic output. */
void stats_print_line(FILE *f, const uint64_t c[HC_COUNT]);
/* stats_hist_sum - the per-CPU latency histogram (latency_hist.h) of
 * service @idx, summed into @sum. */
int stats_hist_sum(int hist_fd, uint32_t idx, struct lathist *sum);
const char *stats_counter_name(int i);
/* resolve_dev - ifindex of @name, or one error line and -ENODEV. */
int resolve_dev(const char *name);
