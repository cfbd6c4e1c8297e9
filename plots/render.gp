# render.gp - draw the current plot (stored in the 'plotcmd' macro) to
# out.pdf and out.png.
set terminal pdfcairo size 5in,3.2in font 'Sans,9'
set output out.'.pdf'
@plotcmd
set terminal pngcairo size 1000,640 font 'Sans,11'
set output out.'.png'
@plotcmd
unset output
