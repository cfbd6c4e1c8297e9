# sweep.gp - hedge-delay sweep: P99 (with CI) against extra requests sent,
# points labelled with the delay. Variables: csv (summary.csv rows of the
# sweep, with the header; param = delay in ms), exp, out.
load 'common.gp'
set title sprintf('%s: P99 versus extra requests (hedge delay sweep)', exp)
set datafile separator ','
set datafile columnheaders
set logscale x 10
set format x '%g'
set xlabel 'extra requests sent (% of requests, log scale)'
set ylabel 'P99 latency (ms)'
set key top right
plotcmd = "plot csv using (column('extra_pct')):(column('p99_ms')):(column('p99_ci_lo_ms')):(column('p99_ci_hi_ms')) with yerrorbars lt 3 pt 7 title 'P99 (95% CI)', "\
  ."'' using (column('extra_pct')):(column('p99_ms')):(sprintf('%s ms', stringcolumn('param'))) with labels offset 1.5,0.8 font ',8' notitle"
load 'render.gp'
