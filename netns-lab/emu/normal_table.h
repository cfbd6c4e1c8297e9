/* normal_table.h: the inverse CDF of N(0,1) for the emulator's normal jitter. */
#pragma once
#include <stdint.h>

/* normal_table_fill - t[i] = round(EMU_DIST_SCALE x Phi^-1((i + 0.5) / n)). */
void normal_table_fill(int16_t *t, unsigned int n);
/* normal_table_extent - the largest |t[i]| / EMU_DIST_SCALE: how many sigmas
 * the table reaches (the jitter check uses it). */
double normal_table_extent(unsigned int n);
