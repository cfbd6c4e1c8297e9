# series.gp - latency of each request in order (first trial of each arm);
# timeouts are gaps. Variables: dir, exp, arms, out.
load 'common.gp'
set datafile columnheaders	# dir's files: make_figures.sh's copies, header line first
set title sprintf('%s: latency over the run (first trial)', exp)
set logscale y 10
set xlabel 'request index'
set ylabel 'latency (ms, log scale)'
set format y '%g'
set key top right
plotcmd = "plot for [i=1:words(arms)] sprintf('%s/%s.%s.series', dir, exp, word(arms, i)) using (column('request_index')):(column('latency_ms')) with points pt 7 ps 0.25 lt i title word(arms, i)"
load 'render.gp'
