/* normal_table.c: N(0,1) quantiles by bisection on erfc (no tables copied). */
#include <math.h>

#include "emu.h"
#include "normal_table.h"

static double normal_quantile(double q)
{
	double lo = -10, hi = 10;

	for (int i = 0; i < 100; i++) {
		double mid = (lo + hi) / 2;

		if (0.5 * erfc(-mid / M_SQRT2) < q)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

void normal_table_fill(int16_t *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		t[i] = (int16_t)lround(EMU_DIST_SCALE * normal_quantile((i + 0.5) / n));
}

double normal_table_extent(unsigned int n)
{
	return fabs(round(EMU_DIST_SCALE * normal_quantile(0.5 / n))) / EMU_DIST_SCALE;
}
