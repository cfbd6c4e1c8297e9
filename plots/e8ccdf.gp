# e8ccdf.gp - E8: fraction of requests slower than x per arm, log-log, one
# panel per loss configuration; timeouts count, so a curve levels off at its
# timeout share out to the timeout. Variables: dir (the data files
# EXP-ccdf.CFG.dat, one block per arm), exp, cfgs, arms_CFG and lts_CFG
# (per configuration: its arms and their line types), bar (ms, or NaN),
# tmo (the timeout, ms), out.
load 'common.gp'
set logscale x 10
set logscale y 10
set format x '%g'
set format y '10^{%L}'
set xrange [1:tmo * 1.5]
set yrange [1e-4:1.2]
set xlabel 'latency (ms, log)'
set ylabel 'fraction slower'
set key top right
nc = words(cfgs)
set arrow 1 from bar, graph 0 to bar, graph 1 nohead lt -1 dt 2 lw 1
if (bar eq 'NaN') { unset arrow 1 }
set label 1 'T + fast + 2 ms' at bar, graph 0.06 right offset -0.5, 0 font ',8'
if (bar eq 'NaN') { unset label 1 }
body = "set multiplot layout nc,1 title sprintf('%s: latency tail per loss configuration (timeouts included)', exp); "\
  ."do for [j=1:nc] { cf = word(cfgs, j); a = value('arms_'.cf); l = value('lts_'.cf); "\
  ."set title cf; "\
  ."plot for [i=1:words(a)] sprintf('%s/%s-ccdf.%s.dat', dir, exp, cf) index (i - 1) using 1:2 with steps lt (int(word(l, i))) title word(a, i) }; "\
  ."unset multiplot"
set terminal pdfcairo size 5, (1.2 + 2.2 * nc) font 'Sans,9'
set output out.'.pdf'
@body
set terminal pngcairo size 1000,(240 + 440 * nc) font 'Sans,11'
set output out.'.png'
@body
unset output
