# spectrum.gp - HDR percentile spectrum: latency against 1/(1-p) on a log
# axis, labelled with percentiles. Variables: dir, exp, arms, out.
load 'common.gp'
set datafile columnheaders	# dir's files: make_figures.sh's copies, header line first
set title sprintf('%s: latency by percentile', exp)
set logscale x 10
set logscale y 10
set xlabel 'percentile'
set ylabel 'latency (ms, log scale)'
set xtics ('0%%' 1, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, '99.999%%' 100000)
set format y '%g'
set key top left
plotcmd = "plot for [i=1:words(arms)] sprintf('%s/%s.%s.spectrum', dir, exp, word(arms, i)) using (column('inverse_one_minus_p')):(column('latency_ms')) with linespoints pt 7 ps 0.4 lt i title word(arms, i)"
load 'render.gp'
