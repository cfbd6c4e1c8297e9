# bars.gp - P99 and MAX per arm with their bootstrap 95 % CIs, log axis.
# Variables: csv (summary.csv rows of one experiment, header dropped), exp, out.
load 'common.gp'
set title sprintf('%s: P99 and MAX with 95 %% CI over trials', exp)
set datafile separator ','
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
# summary.csv columns: 2 arm, 10 p99, 12 max, 13/14 p99 CI, 15/16 max CI.
plotcmd = "plot csv using 10:13:14:xtic(2) lt 2 title 'P99', '' using 12:15:16 lt 1 title 'MAX'"
load 'render.gp'
