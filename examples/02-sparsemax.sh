# examples/02-sparsemax.sh — the sparsemax and entmax claims of the softmax post
# (softmax.md 8, claims 2-5 and 15-24), by bin/sparsemax.
. examples/lib.sh
post "The road to probability distributions: Sparsemax and Entmax (kexue.fm/archives/10145)" \
"Martins & Astudillo 2016 (arXiv 1602.02068) and Peters, Niculae & Martins 2019 (arXiv 1905.05702): the
post derives sparsemax and alpha-entmax as relu^(1/beta)(beta x - lambda), a threshold found by sorting
or bisection that gives exact zeros; the numbers below are the entmax README's and the spec's."

claim "sparsemax([-2,0,0.5]) (entmax README)" '[0,0.25,0.75]' exact \
	"echo '[-2,0,0.5]' | bin/sparsemax"
claim "entmax15([-2,0,0.5]) = [0, 0.3260, 0.6740], by --algo=auto and --algo=sort (README)" \
	'[[0,0.32600736366156174,0.6739926363384381],[0,0.32600736366156174,0.6739926363384381]]' 1e-15 \
	"for a in auto sort; do echo '[-2,0,0.5]' | bin/sparsemax -a 1.5 --algo=\$a; done | jq -sc ."
claim "entmax_bisect alpha 1.33 on [[-1,0,0.5],[1,2,3.5]] (README)" \
	'[[0.045982030452347215,0.3276322536002527,0.6263857159474001],[0.0025580581939998468,0.10115537767501365,0.8962865641309864]]' 1e-15 \
	"echo '[[-1,0,0.5],[1,2,3.5]]' | bin/sparsemax -a 1.33"
claim "--algo=bisect --iters 24 follows entmax_bisect(n_iter=24) (to an ulp of the package's vector pow)" \
	'[0.04598203118558707,0.3276322540153174,0.6263857147990954]' 3e-16 \
	"echo '[-1,0,0.5]' | bin/sparsemax -a 1.33 --algo=bisect --iters 24"
claim "dp_0/dalpha = -0.2562 at alpha 1.33, x = [-1,0,0.5] (README), by central differences" '-0.2562' 1e-4 \
	"u=\$(echo '[-1,0,0.5]' | bin/sparsemax -a 1.33001 | jq '.[0]'); d=\$(echo '[-1,0,0.5]' | bin/sparsemax -a 1.32999 | jq '.[0]'); jq -n \"(\$u - \$d) / 2e-5\""
claim "dp_0/dalpha = -0.2562 by the closed form (--dalpha; Correia et al. 2019)" '-0.2562' 1e-4 \
	"echo '[-1,0,0.5]' | bin/sparsemax -a 1.33 -f dalpha | jq '.[0]'"
claim "sparsemax loss: t=2 -> 0.0625, t=0 -> 2.5625; [3,1,1], t=0 -> 0 (post)" '[0.0625,2.5625,0]' 1e-15 \
	"printf '%s\n' '{\"x\":[-2,0,0.5],\"t\":2}' '{\"x\":[-2,0,0.5],\"t\":0}' '{\"x\":[3,1,1],\"t\":0}' | bin/sparsemax --loss -f loss | jq -sc 'map(.loss)'"
claim "the loss is >= 0 and equals the post's 1/2 - x_t + 1/2 sum_Omega (x_i^2 - lambda^2) (200 random rows)" 'true' exact \
	"/usr/bin/python3 -c 'import json, numpy as np; r = np.random.default_rng(1); [print(json.dumps({\"x\": r.uniform(-2, 2, 6).tolist(), \"t\": int(r.integers(6))})) for _ in range(200)]' | bin/sparsemax --loss --tau -f p,tau,loss | jq -s 'map(. as \$o | [.x, .p] | transpose | map(select(.[1] > 0) | .[0] * .[0] - \$o.tau * \$o.tau) | add / 2 + 0.5 - \$o.x[\$o.t] - \$o.loss | fabs < 1e-14 and \$o.loss >= 0) | all'"
claim "one-hot iff x_(1) - x_(2) >= 1: [1,0] -> [1,0]; [0.999,0] -> [0.9995,0.0005]" '[[1,0],[0.9995,0.0005]]' 1e-12 \
	"echo '[[1,0],[0.999,0]]' | bin/sparsemax"
claim "alpha-entmax is one-hot iff (alpha-1)(x_(1) - x_(2)) >= 1: 1.5-entmax of [2,0]; [1.99,0] is not" '[[1,0],false]' exact \
	"(echo '[2,0]' | bin/sparsemax -a 1.5; echo '[1.99,0]' | bin/sparsemax -a 1.5 | jq '.[1] == 0') | jq -sc ."
claim "full support iff sum (x_i - min x) < 1: [0.3,0.2,0.1]" '{"p":[0.4333333333333333,0.3333333333333333,0.2333333333333333],"support":3}' 1e-15 \
	"echo '[0.3,0.2,0.1]' | bin/sparsemax -f p,support"
claim "n = 2: 1.5-entmax([1,0]) = ((d' + sqrt(2 - d'^2))/2)^2, d' = 1/2" '[0.8307189138830738,0.1692810861169262]' 1e-15 \
	"echo '[1,0]' | bin/sparsemax -a 1.5"
claim "n = 2 closed forms hold on a sweep of the gap d in [-2.5, 2.5] (sparsemax: clip((d+1)/2, 0, 1))" '[true,true]' exact \
	"seq -2.5 0.125 2.5 | awk '{print \"[\" \$1 \",0]\"}' > examples/out/gap.jsonl && bin/sparsemax < examples/out/gap.jsonl > examples/out/gap2.jsonl && bin/sparsemax -a 1.5 < examples/out/gap.jsonl > examples/out/gap15.jsonl && /usr/bin/python3 -c 'import json, numpy as np; L = lambda f: np.array([json.loads(l)[0] for l in open(\"examples/out/\" + f)]); d = L(\"gap.jsonl\"); h = d / 2; w = np.where(abs(h) < 1, ((h + np.sqrt(np.clip(2 - h * h, 0, None))) / 2) ** 2, 1.0 * (h > 0)); print(json.dumps(separators=(\",\", \":\"), obj=[bool(abs(L(\"gap2.jsonl\") - np.clip((d + 1) / 2, 0, 1)).max() < 1e-15), bool(abs(L(\"gap15.jsonl\") - w).max() < 1e-15)]))'"
claim "entmax -> softmax as alpha -> 1, linearly: max deviation on [-2,0,0.5] at alpha 1.1, 1.01, 1.001" '[0.021,0.0021,0.00021]' 0.00001 \
	"for a in 1.1 1.01 1.001; do echo '[-2,0,0.5]' | bin/sparsemax -a \$a; done | jq -sc --argjson s \"\$(echo '[-2,0,0.5]' | bin/softmax)\" 'map([., \$s] | transpose | map(.[0] - .[1] | fabs) | max * 10000 | round / 10000)'"
claim "alpha = 1 is softmax, bit for bit" 'true' exact \
	"[ \"\$(echo '[-2,0,0.5]' | bin/sparsemax -a 1)\" = \"\$(echo '[-2,0,0.5]' | bin/softmax)\" ] && echo true"
claim "relu^(1/b)(1 + b x) approaches e^x as b decreases: max error on [-10,3] (a numpy grid, no program)" '[16.1,13.8,10.7,6.3,0.87]' 0.05 \
	"/usr/bin/python3 -c 'import numpy as np; x = np.linspace(-10, 3, 130001); print([round(float(np.abs(np.maximum(1 + b * x, 0) ** (1 / b) - np.exp(x)).max()), 2) for b in (1, 0.5, 0.25, 0.1, 0.01)])'"
claim "the post's 1.5-entmax snippet fails at a boundary tie; [2,0] -> [1,0], support 1" '{"p":[1,0],"support":1}' exact \
	"echo '[2,0]' | bin/sparsemax -a 1.5 --support"
claim "max subtraction for the 1.5-entmax moments: [1e8, 1e8+0.5] = [0, 0.5] -> [0.32600736, 0.67399264]" \
	'[[0.32600736366156174,0.6739926363384381],[0.32600736366156174,0.6739926363384381]]' 1e-15 \
	"echo '[[100000000,100000000.5],[0,0.5]]' | bin/sparsemax -a 1.5"
claim "sparsemax monotonicity is only weak: [5,1,0] -> [1,0,0]" '[1,0,0]' exact \
	"echo '[5,1,0]' | bin/sparsemax"
claim "T -> inf gives uniform: T = 1e6 on [1,2,3], p_i - 1/3 = (x_i - mean)/T = -1e-6, 0, 1e-6" '[-1e-6,0,1e-6]' 1e-15 \
	"echo '[1,2,3]' | bin/sparsemax -T 1e6 | jq -c 'map(. - 1/3)'"
claim "T = inf is exactly uniform" '[0.3333333333333333,0.3333333333333333,0.3333333333333333]' exact \
	"echo '[1,2,3]' | bin/sparsemax -T inf"
claim "KKT from --tau: (a-1) x_i - p_i^(a-1) = tau on the support, <= tau off it; a = 1.25 .. 3, 100 random rows" 'true' exact \
	"/usr/bin/python3 -c 'import json, numpy as np; r = np.random.default_rng(2); [print(json.dumps(r.normal(0, 2, 12).tolist())) for _ in range(100)]' > examples/out/kkt.jsonl && for a in 1.25 1.5 1.75 2 3; do bin/sparsemax -a \$a --tau < examples/out/kkt.jsonl > examples/out/kkt.\$a.jsonl; done && /usr/bin/python3 -c 'import json, numpy as np; X = [np.array(json.loads(l)) for l in open(\"examples/out/kkt.jsonl\")]; print(str(all(bool(np.abs((a - 1) * x[p > 0] - p[p > 0] ** (a - 1) - o[\"tau\"]).max() < 1e-14 and ((a - 1) * x[p == 0] <= o[\"tau\"] + 1e-14).all()) for a in (1.25, 1.5, 1.75, 2, 3) for x, o in zip(X, map(json.loads, open(\"examples/out/kkt.%s.jsonl\" % a))) for p in [np.array(o[\"p\"])])).lower())'"
claim "sparsity against alpha (support of [-2,0,0.5] at alpha 1, 1.25, 1.5, 2, 4)" '[3,3,2,2,1]' exact \
	"for a in 1 1.25 1.5 2 4; do echo -2 0 0.5 | bin/sparsemax -a \$a -f support; done | jq -sc ."
figure sparsemax-alpha.png "p of [-2, 0, 0.5] against alpha: softmax at 1, 1.5-entmax, sparsemax at 2; p_0 leaves the support first" \
	"for a in \$(seq 1 0.025 4); do printf '%s ' \$a; echo -2 0 0.5 | bin/sparsemax -a \$a; done > examples/out/sparsemax-alpha.dat && gnuplot -e \"set term pngcairo size 800,500; set output 'examples/out/sparsemax-alpha.png'; set xlabel 'alpha'; set ylabel 'p'; set key right center; set arrow from 1.5, graph 0 to 1.5, graph 1 nohead dt 2; set arrow from 2, graph 0 to 2, graph 1 nohead dt 2; plot 'examples/out/sparsemax-alpha.dat' u 1:2 w l lw 2 t 'p_0 (x = -2)', '' u 1:3 w l lw 2 t 'p_1 (x = 0)', '' u 1:4 w l lw 2 t 'p_2 (x = 0.5)'\""
