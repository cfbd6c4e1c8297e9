# sweep.gp - hedge-delay sweep: P99 (with CI) against extra requests sent,
# points labelled with the delay. Variables: csv (summary.csv rows of the
# sweep, header dropped; column 3 = delay in ms), exp, out.
load 'common.gp'
set title sprintf('%s: P99 versus extra requests (hedge delay sweep)', exp)
set datafile separator ','
set logscale x 10
set format x '%g'
set xlabel 'extra requests sent (% of requests, log scale)'
set ylabel 'P99 latency (ms)'
set key top right
plotcmd = "plot csv using 20:10:13:14 with yerrorbars lt 3 pt 7 title 'P99 (95% CI)', '' using 20:10:(sprintf('%s ms', stringcolumn(3))) with labels offset 1.5,0.8 font ',8' notitle"
load 'render.gp'
