# common.gp - shared look of every figure. Callers set: out (path without
# extension); figures are drawn once as PDF and once as PNG by render.gp.
set encoding utf8
set key top left box opaque
set grid lc rgb '#dddddd'
set border lw 1
# One colour per arm, fixed so an arm looks the same in every figure.
set linetype 1 lc rgb '#d62728' lw 2   # baseline
set linetype 2 lc rgb '#1f77b4' lw 2   # app-hedged
set linetype 3 lc rgb '#2ca02c' lw 2   # kernel-hedged
set linetype 4 lc rgb '#9467bd' lw 2
set linetype 5 lc rgb '#ff7f0e' lw 2
set linetype 6 lc rgb '#8c564b' lw 2
set datafile missing 'NaN'
