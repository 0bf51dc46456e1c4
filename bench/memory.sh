# bench/memory.sh — peak resident memory of each filter program on a 1 GB raw
# stream (and 250 MB of JSON Lines for lora-init, which reads JSON only):
# memory must stay flat as the stream grows (issue 10: under 50 MB).
set -eu
B=${KX_BIN:-bin}
echo '[[0,0,0,0],[1,1,1,1],[2,2,2,2]]' > bench/out/cb4.json
echo "### memory on long streams"
echo
echo "| program on a stream | input | peak RSS | seconds |"
echo "|---|---|---|---|"
row() {  # label, input command, program command
	t0=$(date +%s.%N)
	kb=$( { /usr/bin/time -f %M sh -c "$2 | $B/$3 > /dev/null"; } 2>&1 | tail -1)
	t1=$(date +%s.%N)
	printf '| `%s` | %s | %.1f MB | %.1f |\n' "$3" "$1" "$(echo "$kb/1024" | bc -l)" "$(echo "$t1-$t0" | bc -l)"
}
raw="head -c 1000000000 /dev/zero"
row "1 GB f32" "$raw" "softmax -i f32 -d 1024"
row "1 GB f32" "$raw" "sparsemax -i f32 -d 1024"
row "1 GB f32" "$raw" "fsq-encode -l 8,5,5,5 -i f32 -O u32"
row "1 GB f32" "$raw" "vq-encode -c bench/out/cb4.json -i f32 -O u32"
row "1 GB f32" "$raw" "hippo-discretize --mode reconstruct -N 64 -P 16 -i f32 -O f32"
row "1 GB f32 (2.5e8 samples)" "$raw" "hippo-discretize --mode final -N 64 -i f32 -O f32"
row "250 MB JSON Lines" "yes '{\"w0\":[[1,0],[0,1]],\"seed\":1}' | head -c 250000000" "lora-init -m lora -r 1"
row "250 MB JSON Lines" "yes '[0.5,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]' | head -c 250000000" "softmax"
echo
