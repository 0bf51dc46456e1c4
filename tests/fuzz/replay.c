/*
 * replay.c — the plain-C main of the fuzz harnesses: runs every file of the
 * corpus directories (or files) given, through LLVMFuzzerTestOneInput, and
 * prints one TAP line per directory.  The same harness files build under
 * libFuzzer (clang -fsanitize=fuzzer) and AFL++ (afl-clang-fast with its
 * libFuzzer driver); see tests/fuzz/README.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	size_t got = fread(buf, 1, (size_t)(n > 0 ? n : 0), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int t = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			printf("not ok %d - %s: cannot read\n", ++t, argv[i]);
			continue;
		}
		int n = 0;
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				char p[4096];
				snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
				if (run_file(p) == 0)
					n++;
			}
			if (d)
				closedir(d);
		} else if (run_file(argv[i]) == 0) {
			n++;
		}
		printf("ok %d - %s: %d inputs replayed without a crash\n", ++t, argv[i], n);
	}
	printf("1..%d\n", t);
	return 0;
}
