# e8loss.gp - E8: P99, P99.9 and timeouts per arm, clustered by loss
# configuration (one panel each), with the hedged arms' bar T + fast + 2 ms.
# Variables: data (e8_figures.sh's table, columns by name: config, then
# per arm ARM_p99, ARM_p999, ARM_timeout_pct), exp, arms (the arms in
# data), lts (their line types), basis (what the percentiles are of), bar
# (ms, or NaN), out.
load 'common.gp'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.75 border -1
set boxwidth 0.9
set xtics nomirror
set key above horizontal
set lmargin 9
set datafile columnheaders	# data's first line names the columns
na = words(arms)
barline = (bar eq 'NaN') ? '' : sprintf(", %s with lines lt -1 dt 2 lw 1.5 title 'T + fast + 2 ms'", bar)
# panel(f): one bar per arm and configuration of the column ARM_f.
panel(f) = sprintf("plot for [i=1:na] data using (column(word(arms, i).'_%s')):xtic(strcol('config')) lt (int(word(lts, i))) title word(arms, i)%s", f, (f eq 'timeout_pct' ? '' : barline))
body = "set multiplot layout 3,1; set title sprintf('%s: packet loss (%s)', exp, basis); "\
  ."set logscale y 10; set format y '%g'; set ylabel 'P99 (ms, log)'; set yrange [1:2000]; @p99; "\
  ."unset title; set ylabel 'P99.9 (ms, log)'; unset key; @p999; "\
  ."unset logscale y; set yrange [0:*]; set ylabel 'timeouts (% of requests)'; set format y '%g'; @tmo; "\
  ."unset multiplot"
p99 = panel('p99')
p999 = panel('p999')
tmo = panel('timeout_pct')
set terminal pdfcairo size 5in,6.4in font 'Sans,9'
set output out.'.pdf'
@body
set key above horizontal
set logscale y 10
set terminal pngcairo size 1000,1280 font 'Sans,11'
set output out.'.png'
@body
unset output
