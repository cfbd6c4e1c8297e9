# tail.gp - tail zoom, P95..P100 (the reference's Figure 4.2).
# Variables: dir, exp, arms, out.
load 'common.gp'
set datafile columnheaders	# dir's files: make_figures.sh's copies, header line first
set title sprintf('%s: latency tail (P95 to P100)', exp)
set logscale x 10
set xlabel 'latency (ms, log scale)'
set ylabel 'fraction of requests'
set yrange [0.95:1.0005]
set format x '%g'
set key bottom right
plotcmd = "plot for [i=1:words(arms)] sprintf('%s/%s.%s.cdf', dir, exp, word(arms, i)) using (column('latency_ms')):(column('cumulative_fraction')) with steps lt i title word(arms, i)"
load 'render.gp'
