# examples/07-attn-scale.sh — the attention-scale post's claims (attn-scale.md 8), by bin/attn-scale-sweep.
. examples/lib.sh
post "The attention scale from gradient maximisation (kexue.fm/archives/9812)" \
"Su Jianlin (2023) maximises the softmax gradient size alpha (1 - sum p^2) over the scale alpha, with a
ratio-of-expectations approximation: alpha* ~ 0.84 sqrt(ln n) for N(0,1) scores (use about 2.5/sqrt(d)
instead of 1/sqrt(d)) and ~ 3.5 ln n for cosines in d = 128 (the 'x30' of cos-softmax losses)."

A=bin/attn-scale-sweep
PY=/usr/bin/python3

claim "A1: G = alpha (1 - sum p^2) for [0.5,-1,2,0] at alpha 1" '0.46016797027356' 1e-12 \
	"echo '{\"scores\":[0.5,-1,2,0]}' | $A --input --alpha 1 -f objective | head -n 1 | jq .objective"
claim "A1: equal to half the L1 norm of numpy's explicit Jacobian, to 1e-12" 'true' exact \
	"g=\$(echo '{\"scores\":[0.5,-1,2,0]}' | $A --input --alpha 1 -f objective | head -n 1 | jq .objective); $PY -c \"import numpy as np; s = np.array([0.5,-1,2,0]); p = np.exp(s - s.max()); p /= p.sum(); print(str(abs(0.5*np.abs(np.diag(p) - np.outer(p, p)).sum() - \$g) < 1e-12).lower())\""
claim "A2: normal-case alpha*(512) (Lambert W)" '2.008394899828541' 1e-13 \
	"$A --approx-only -n 512 --alpha 1 | tail -n 1 | jq .approx_argmax_alpha"
claim "A2: least-squares c in alpha* = c sqrt(ln n), n = 40, 80, ..., 20000 (post: 0.84)" '0.8413' 1e-4 \
	"for n in \$(seq 40 40 20000); do $A --approx-only --alpha 1 -n \$n | tail -n 1; done | jq -r '[.keys, .approx_argmax_alpha] | @tsv' | $PY -c 'import sys, numpy as np; n, a = np.loadtxt(sys.stdin, unpack=True); x = np.sqrt(np.log(n)); print(a @ x / (x @ x))'"
claim "A3: alpha* in [2, 3] for 491 <~ n <~ 1.5e5, not at n = 40 (n = 40, 491, 492, 6993, 153959)" '[1.4342,1.99984,2.00026,2.499996,3.0000004]' 1e-5 \
	"for n in 40 491 492 6993 153959; do $A --approx-only --alpha 1 -n \$n | tail -n 1 | jq .approx_argmax_alpha; done | jq -sc ."
claim "A4: cosine d = 128, n = 512: alpha* and the approximate objective there" '[24.21364,21.33747]' 1e-6 \
	"$A --dist sphere -d 128 --approx-only -n 512 | tail -n 1 | jq -c '[.approx_argmax_alpha, .approx_argmax_objective]'"
claim "A4: cosine d = 128: least-squares slope of alpha* against ln n over n = 40..20000 (post: 3.5)" '3.488' 1e-3 \
	"for n in \$(seq 40 40 20000); do $A --dist sphere -d 128 --approx-only --alpha 1 -n \$n | tail -n 1; done | jq -r '[.keys, .approx_argmax_alpha] | @tsv' | $PY -c 'import sys, numpy as np; n, a = np.loadtxt(sys.stdin, unpack=True); x = np.log(n); print(a @ x / (x @ x))'"
claim "A4: alpha* = 25 near n = 684 and 35 near n = 34149 (in 25-35 over a large range)" '[25,35]' 2e-3 \
	"for n in 684 34149; do $A --dist sphere -d 128 --approx-only -n \$n | tail -n 1 | jq .approx_argmax_alpha; done | jq -sc ."
claim "A5: the 3.5 changes with d: slopes for d = 16, 32, 64, 256, 512 (n = 40, 400, 800, ..., 20000)" '[2.41,2.30,2.71,4.70,6.49]' 0.005 \
	"for d in 16 32 64 256 512; do for n in 40 \$(seq 400 400 20000); do $A --dist sphere -d \$d --approx-only --alpha 1 -n \$n | tail -n 1; done | jq -r '[.keys, .approx_argmax_alpha] | @tsv' | $PY -c 'import sys, numpy as np; n, a = np.loadtxt(sys.stdin, unpack=True); x = np.log(n); print(a @ x / (x @ x))'; done | jq -sc ."
claim "A6: one sample: G(0.01), G(100), interior argmax and its value, not at the boundary" '[0.0066666,1.75e-24,2.356,0.912229,false]' 1e-5 \
	"echo '{\"scores\":[0.3,-0.2,0.9]}' | $A --input --alpha-min 0.01 --alpha-max 100 | jq -sc '[.[0].objective, .[80].objective, .[81].argmax_alpha, .[81].argmax_objective, .[81].argmax_at_boundary]'"
claim "A6: G(100) for [0.3,-0.2,0.9] is 1.75e-24 (relative 1e-2)" 'true' exact \
	"echo '{\"scores\":[0.3,-0.2,0.9]}' | $A --input --alpha 100 -f objective | head -n 1 | jq '(.objective / 1.75e-24 - 1) | fabs < 0.01'"
claim "A7: plateau of the mean, n = 16 and n = 512 (limit_large_alpha)" '[1.76599,3.04390]' 1e-5 \
	"for n in 16 512; do $A --approx-only --dist scores -n \$n | tail -n 1 | jq .limit_large_alpha; done | jq -sc ."
claim "A7: n = 16, T = 1e5: the mean at alpha 64 is within 3 stderr of the plateau; no interior peak above it" 'true' exact \
	"$A -q --dist scores -n 16 -S 100000 --alpha-max 64 | jq -s '.[80] as \$p | .[81] as \$s | ((\$p.mean - \$s.limit_large_alpha) | fabs) < 3 * \$p.stderr and (\$s.argmax_at_boundary or \$s.argmax_alpha > 8) and \$s.argmax_objective < \$s.limit_large_alpha + 3 * \$p.stderr'"
claim "A8: the post's alpha* about doubles the mean gradient of alpha = 1 (n = 512, T = 10000)" '[1.92,0.995]' 0.02 \
	"$A -q --dist scores -n 512 -S 10000 | tail -n 1 | jq -c '[.objective_at_approx_argmax, .objective_at_standard]'"
claim "A9: typical-case optimum, argmax of the median curve, n = 512, T = 10000 (about 5.8-6.9)" '6.7' 0.13 \
	"$A --stat median --dist scores -n 512 -S 10000 | tail -n 1 | jq .argmax_alpha"
claim "A9: the same for n = 64 (about 4.9-5.2), far above the approximate 1.55" '5.0' 0.05 \
	"$A --stat median --dist scores -n 64 -S 10000 | tail -n 1 | jq .argmax_alpha"
claim "A10: entropy_alpha = 1 (normal-like) and sqrt(128) (cosine) at n = 512" '[1,11.313708498984761]' 1e-12 \
	"for s in '' '--dist sphere -d 128'; do $A --approx-only \$s -n 512 | tail -n 1 | jq .entropy_alpha; done | jq -sc ."
claim "A10: entropy_alpha and approx_argmax_alpha both increase with ln n (n = 64..16384, both kinds)" 'true' exact \
	"for s in '' '--dist sphere -d 128'; do for n in 64 256 1024 4096 16384; do $A --approx-only \$s -n \$n | tail -n 1 | jq -c '[.entropy_alpha, .approx_argmax_alpha]'; done | jq -s '[range(1; length) as \$i | .[\$i][0] > .[\$i-1][0] and .[\$i][1] > .[\$i-1][1]] | all'; done | jq -s all"
claim "A11: plateau for q, k ~ N(0, I_d): d = 64, n = 512 and d = 8, n = 16" '[3.0801642,1.95634]' 5e-6 \
	"for o in '-d 64 -n 512' '-d 8 -n 16'; do $A --approx-only \$o | tail -n 1 | jq .limit_large_alpha; done | jq -sc ."
claim "A11: d = 8, n = 16, T = 1e5: the mean at alpha 64 is within 3 stderr of 1.95634" 'true' exact \
	"$A --dist normal -d 8 -n 16 -S 100000 --alpha 64 | head -n 1 | jq '((.mean - 1.95634) | fabs) < 3 * .stderr'"

figure attn-scale.png "Left: Monte Carlo mean (solid) and median (dashed) of alpha (1 - sum p^2) over N(0,1) score vectors (T = 2e4, 1e4, 2000, 500), the post's approximation (dotted) and the exact plateau of the mean (dots at alpha = 32), for n = 16, 64, 512, 4096: the mean levels off near its plateau (noisy at large alpha, where rare near-ties dominate; T = 500 for n = 4096), the median peaks. Right: the optimum against n: the post's alpha* (Lambert W), its fit 0.84 sqrt(ln n), and the argmax of the median curve" \
	"for c in '16 20000' '64 10000' '512 2000' '4096 500'; do set -- \$c; $A -q --dist scores -n \$1 -S \$2 --stat median --alpha-max 32 -O text -f alpha,mean,median,approx > examples/out/attn-curve-\$1.txt; grep '^# {' examples/out/attn-curve-\$1.txt | cut -c3- | jq -r '[.keys, .argmax_alpha, .limit_large_alpha] | @tsv'; done > examples/out/attn-median.tsv && for n in 8 16 32 64 128 256 512 1024 2048 4096 8192 16384; do $A --approx-only --alpha 1 -n \$n | tail -n 1 | jq -r '[.keys, .approx_argmax_alpha, .post_fit_alpha] | @tsv'; done > examples/out/attn-astar.tsv && gnuplot -e \"set term pngcairo size 1200,500; set output 'examples/out/attn-scale.png'; set multiplot layout 1,2; set logscale x; set xlabel 'alpha'; set ylabel 'alpha (1 - sum p^2)'; set yrange [0:4.2]; set key left top; N = '16 64 512 4096'; plot for [i=1:4] 'examples/out/attn-curve-'.word(N,i).'.txt' u 1:2 w l lw 2 lc i t 'n = '.word(N,i), for [i=1:4] 'examples/out/attn-curve-'.word(N,i).'.txt' u 1:3 w l dt 2 lc i notitle, for [i=1:4] 'examples/out/attn-curve-'.word(N,i).'.txt' u 1:4 w l dt 3 lc i notitle, 'examples/out/attn-median.tsv' u (32):3 w p pt 7 lc black t 'plateau of the mean'; set xlabel 'n'; set ylabel 'optimal alpha'; set yrange [0:10]; set key left top; plot 'examples/out/attn-astar.tsv' u 1:2 w lp t 'post alpha* (approximation)', '' u 1:3 w l dt 2 t '0.84 sqrt(ln n)', 'examples/out/attn-median.tsv' u 1:2 w lp pt 7 t 'argmax of the median curve (Monte Carlo)'; unset multiplot\""
