# examples/01-softmax.sh — the softmax post's claims (softmax.md 8), by bin/softmax.
. examples/lib.sh
post "The road to probability distributions: Softmax and its alternatives (kexue.fm/archives/10145)" \
"Su Jianlin's survey of Softmax, its temperature, Taylor, Sparse (top-k) and Perturb-Max variants; the
sparsemax and entmax claims are in the next section."

claim "softmax([-2,0,0.5]) (entmax README)" '[0.04861082403130226,0.35918810578253857,0.5922010701861591]' 1e-15 \
	"echo '[-2,0,0.5]' | bin/softmax"
claim "T -> 0 gives onehot(argmax): T = 0.05 on [1,2,3]" '[4.2e-18,2.1e-9,0.99999999794]' 0.05 \
	"echo '[1,2,3]' | bin/softmax -T 0.05"
claim "T = 0 is the exact limit, ties split evenly" '[[0,0,1],[0,0.5,0.5]]' exact \
	"echo '[[1,2,3],[1,3,3]]' | bin/softmax -T 0"
claim "T lse(x/T) -> max: 3.40761 (T=1), 3.0714658 (0.5), 3.0000045401 (0.1)" '[3.40761,3.0714658,3.0000045401]' 2e-6 \
	"for T in 1 0.5 0.1; do echo '[1,2,3]' | bin/softmax -f lse -T \$T; done | jq -sc ."
claim "half the l1 norm of the Jacobian equals 1 - sum p^2" 'true' exact \
	"for j in 0 1 2 3; do jq -nc --argjson j \$j '{x:[0.3,-1.2,2,0.5], v:[range(4)|if .==\$j then 1 else 0 end]}'; done | bin/softmax --jvp -f p,jvp | jq -s '(map(.jvp[]|fabs)|add/2) - (1 - (.[0].p|map(.*.)|add)) | fabs < 1e-15'"
claim "CE gradient = p - onehot(t) equals central differences" 'true' exact \
	"g=\$(echo '{\"x\":[0.3,-1.2,2],\"t\":1}' | bin/softmax --grad -f grad | jq '.grad[0]'); u=\$(echo '{\"x\":[0.300001,-1.2,2],\"t\":1}' | bin/softmax --loss -f loss | jq .loss); d=\$(echo '{\"x\":[0.299999,-1.2,2],\"t\":1}' | bin/softmax --loss -f loss | jq .loss); jq -n \"((\$u - \$d) / 2e-6 - \$g) | fabs < 1e-8\""
claim "Taylor f_K minima: f_4 0.2703948 at -1.5960716, f_6 0.1493248 at -2.1806071, f_8 0.0832715 at -2.7590027" '[0.2703948,0.1493248,0.0832715]' 1e-6 \
	"for k in '4 -1.5960716' '6 -2.1806071' '8 -2.7590027'; do set -- \$k; echo \"[\$2,0]\" | bin/softmax --taylor=\$1 | jq '.[0]/.[1]'; done | jq -sc ."
claim "Taylor is longer-tailed: p_0 of [0,5] is 0.00669 (softmax), 0.0513 (K=2), 0.0151 (K=4)" '[0.006692850924284856,0.05128205128205128,0.015065913370998116]' 1e-14 \
	"for o in '' --taylor --taylor=4; do echo '[0,5]' | bin/softmax \$o | jq '.[0]'; done | jq -sc ."
claim "Taylor is not shift-invariant; [-3,-1] -> [5/6, 1/6]" '[[0.15625,0.3125,0.53125],[0.11764705882352941,0.29411764705882354,0.5882352941176471],[0.8333333333333334,0.16666666666666666]]' 1e-15 \
	"echo '[[1,2,3],[0,1,2],[-3,-1]]' | bin/softmax --taylor"
claim "Gumbel noise gives softmax exactly" 'true' exact \
	"[ \"\$(echo '[1,2,3]' | bin/softmax --perturb=gumbel)\" = \"\$(echo '[1,2,3]' | bin/softmax)\" ] && echo true"
claim "normal Perturb Max, n = 2: [0,1] -> Phi(-+1/sqrt 2)" '[0.23975006109347674,0.7602499389065234]' 1e-14 \
	"echo '[0,1]' | bin/softmax --perturb=normal"
claim "T -> inf gives uniform: T = 1e6 within 3.4e-7 of 1/3" 'true' exact \
	"echo '[1,2,3]' | bin/softmax -T 1e6 | jq 'map(. - 1/3 | fabs) | max < 3.4e-7'"
claim "T = inf is exactly uniform" '[0.3333333333333333,0.3333333333333333,0.3333333333333333]' exact \
	"echo '[1,2,3]' | bin/softmax -T inf"
claim "log-softmax keeps log p_0 of [100,0] (scipy and torch give 0)" '[-3.720075976020836e-44,-100]' 1e-15 \
	"echo '[100,0]' | bin/softmax -l"
figure softmax-temperature.png "softmax of [1,2,3] against the temperature" \
	"for T in 0.05 0.1 0.2 0.3 0.5 0.7 1 1.5 2 3 5 10 20; do printf '%s ' \$T; echo 1 2 3 | bin/softmax -T \$T; done > examples/out/softmax-temperature.dat && gnuplot -e \"set term pngcairo size 800,500; set output 'examples/out/softmax-temperature.png'; set logscale x; set xlabel 'temperature T'; set ylabel 'p'; set key left center; plot 'examples/out/softmax-temperature.dat' u 1:2 w lp t 'p_0 (x=1)', '' u 1:3 w lp t 'p_1 (x=2)', '' u 1:4 w lp t 'p_2 (x=3)'\""
