# cdf.gp - CDF of latency per arm, log latency axis (as the reference's
# Figure 4.1). Variables: dir (plotdata dir), exp, arms (space separated), out.
load 'common.gp'
set datafile columnheaders	# dir's files: make_figures.sh's copies, header line first
set title sprintf('%s: latency CDF', exp)
set logscale x 10
set xlabel 'latency (ms, log scale)'
set ylabel 'fraction of requests'
set yrange [0:1.02]
set format x '%g'
set key bottom right
plotcmd = "plot for [i=1:words(arms)] sprintf('%s/%s.%s.cdf', dir, exp, word(arms, i)) using (column('latency_ms')):(column('cumulative_fraction')) with steps lt i title word(arms, i)"
load 'render.gp'
