# bars.gp - P99 and MAX per arm with their bootstrap 95 % CIs, log axis.
# Variables: csv (summary.csv rows of one experiment, with the header), exp, out.
load 'common.gp'
set title sprintf('%s: P99 and MAX with 95 %% CI over trials', exp)
set datafile separator ','
set datafile columnheaders
set style data histogram
set style histogram errorbars gap 1 lw 1.5
set style fill solid 0.7 border -1
set boxwidth 0.9
set logscale y 10
set format y '%g'
set ylabel 'latency (ms, log scale)'
set yrange [*:*]
set key top right
set xtics nomirror
plotcmd = "plot csv using (column('p99_ms')):(column('p99_ci_lo_ms')):(column('p99_ci_hi_ms')):xtic(stringcolumn('arm')) lt 2 title 'P99', "\
  ."'' using (column('max_ms')):(column('max_ci_lo_ms')):(column('max_ci_hi_ms')) lt 1 title 'MAX'"
load 'render.gp'
