/* opts.c — the options every program has (conventions.md 3), parsed once. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kx.h"

enum { O_KEY = 0x1000, O_DIGITS, O_STRICT, O_STATS };

static const struct option common_long[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "input-format", required_argument, NULL, 'i' },
	{ "output-format", required_argument, NULL, 'O' },
	{ "dim", required_argument, NULL, 'd' },
	{ "fields", required_argument, NULL, 'f' },
	{ "key", required_argument, NULL, O_KEY },
	{ "output", required_argument, NULL, 'o' },
	{ "keep-going", no_argument, NULL, 'K' },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "digits", required_argument, NULL, O_DIGITS },
	{ "strict-json", no_argument, NULL, O_STRICT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "stats", no_argument, NULL, O_STATS },
	{ "seed", required_argument, NULL, 's' },   /* only with KX_ACCEPT_SEED */
};
#define NCOMMON (sizeof common_long / sizeof common_long[0])

void kx_common_init(kx_common *c)
{
	*c = (kx_common){ .in_fmt = KX_FMT_AUTO, .out_fmt = KX_FMT_NONE };
}

int kx_fmt_parse(const char *s)
{
	static const char *const names[] = { "auto", "json", "text", "f32", "f64", "u32" };
	static const int fmts[] = { KX_FMT_AUTO, KX_FMT_JSON, KX_FMT_TEXT, KX_FMT_F32, KX_FMT_F64,
	                            KX_FMT_U32 };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i]))
			return fmts[i];
	return -1;
}

const char *kx_fmt_name(int fmt)
{
	switch (fmt) {
	case KX_FMT_AUTO: return "auto";
	case KX_FMT_JSON: return "json";
	case KX_FMT_TEXT: return "text";
	case KX_FMT_F32: return "f32";
	case KX_FMT_F64: return "f64";
	case KX_FMT_U32: return "u32";
	case KX_FMT_NPY: return "npy";
	}
	return "none";
}

/* Build the merged tables once per program (main calls kx_getopt in a loop). */
static struct option *merged;
static char *mshort;

static void merge(const kx_cli *cli)
{
	size_t np = 0;
	while (cli->longopts && cli->longopts[np].name)
		np++;
	size_t nc = (cli->accept & KX_ACCEPT_SEED) ? NCOMMON : NCOMMON - 1;
	merged = kx_calloc(np + nc + 1, sizeof *merged);
	memcpy(merged, common_long, nc * sizeof *merged);
	if (np)
		memcpy(merged + nc, cli->longopts, np * sizeof *merged);
	const char *cs = (cli->accept & KX_ACCEPT_SEED) ? "hVi:O:d:f:o:Kuqs:" : "hVi:O:d:f:o:Kuq";
	size_t n = strlen(cs) + (cli->shortopts ? strlen(cli->shortopts) : 0) + 2;
	mshort = kx_malloc(n);
	snprintf(mshort, n, ":%s%s", cs, cli->shortopts ? cli->shortopts : "");
}

_Noreturn static void unknown(char **argv)
{
	const char *arg = argv[optind - 1];
	if (optopt && optopt < 256)
		kx_usage_error("unknown option '-%c'", optopt);
	/* a long option: show it without any =value */
	const char *eq = strchr(arg, '=');
	kx_usage_error("unknown option '%.*s'", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
}

_Noreturn static void missing(char **argv)
{
	if (optopt && optopt < 256 && argv[optind - 1][1] != '-')
		kx_usage_error("option '-%c' needs an argument", optopt);
	kx_usage_error("option '%s' needs an argument", argv[optind - 1]);
}

int kx_getopt(const kx_cli *cli, kx_common *c, int argc, char **argv)
{
	if (!merged) {
		merge(cli);
		opterr = 0;
	}
	for (;;) {
		int o = getopt_long(argc, argv, mshort, merged, NULL);
		long long v;
		int f;
		switch (o) {
		case -1:
			return -1;
		case '?':
			unknown(argv);
		case ':':
			missing(argv);
		case 'h':
			fputs(cli->help, stdout);
			exit(fflush(stdout) ? 1 : 0);
		case 'V':
			printf("%s (kexue-tools) %s\n", cli->name, KX_VERSION);
			exit(fflush(stdout) ? 1 : 0);
		case 'i':
			f = kx_fmt_parse(optarg);
			if (f < 0 || f == KX_FMT_U32)
				kx_usage_error("-i: unknown input format '%s' (auto, json, text, f32, f64)", optarg);
			c->in_fmt = f;
			break;
		case 'O':
			f = kx_fmt_parse(optarg);
			if (f < 0 || f == KX_FMT_AUTO)
				kx_usage_error("-O: unknown output format '%s' (json, text, f32, f64, u32)", optarg);
			c->out_fmt = f;
			break;
		case 'd':
			if (kx_parse_long(optarg, 1, (long long)1 << 48, &v) < 0)
				kx_usage_error("-d: expected a whole number >= 1, got '%s'", optarg);
			c->dim = v;
			break;
		case 'f':
			c->fields = optarg;
			break;
		case O_KEY:
			c->key = optarg;
			break;
		case 'o':
			c->output = optarg;
			break;
		case 'K':
			c->keep_going = 1;
			break;
		case 'u':
			c->unbuffered = 1;
			break;
		case O_DIGITS:
			if (kx_parse_long(optarg, 1, 17, &v) < 0)
				kx_usage_error("--digits: expected a whole number from 1 to 17, got '%s'", optarg);
			c->digits = (int)v;
			break;
		case O_STRICT:
			c->strict_json = 1;
			break;
		case 'q':
			c->quiet = kx_quiet = 1;
			break;
		case O_STATS:
			c->stats = 1;
			break;
		case 's':
			if (kx_parse_u64(optarg, &c->seed) < 0)
				kx_usage_error("-s: expected a whole number from 0 to 2^64-1, got '%s'", optarg);
			c->seed_given = 1;
			break;
		default:
			return o;
		}
	}
}

int kx_fields_parse(const char *list, const char *const *known, int *idx, int max)
{
	if (!list)
		return 0;
	int n = 0;
	const char *p = list;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int found = -1;
		for (int k = 0; known[k]; k++)
			if (strlen(known[k]) == len && !strncmp(known[k], p, len))
				found = k;
		if (found < 0)
			kx_usage_error("-f: unknown field '%.*s'", (int)len, p);
		for (int j = 0; j < n; j++)
			if (idx[j] == found)
				kx_usage_error("-f: field '%.*s' is named twice", (int)len, p);
		if (n == max)
			kx_usage_error("-f: too many fields");
		idx[n++] = found;
		if (!e)
			break;
		p = e + 1;
	}
	return n;
}
