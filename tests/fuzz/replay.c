/* main() for the fuzz harnesses outside libFuzzer: runs every file named
 * on the command line (directories: every file in them), or with no
 * arguments the target's corpus, $TOP_SRCDIR/tests/fuzz/corpus/<target>,
 * the target being the program name less its "fuzz_" prefix. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	/* An exact-size copy, so reading past the input is caught. */
	char *data = xmalloc(b.len > 0 ? b.len : 1);
	memcpy(data, b.data != NULL ? b.data : "", b.len);
	LLVMFuzzerTestOneInput((const uint8_t *)data, b.len);
	free(data);
	buf_free(&b);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs the files of dir in name order; returns how many, or -1. */
static int
run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int ran = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp);
	for (size_t i = 0; i < n; i++) {
		struct buf path = { 0 };

		buf_printf(&path, "%s/%s", dir, names[i]);
		if (run_file(path.data) < 0)
			ran = -1;
		else if (ran >= 0)
			ran++;
		buf_free(&path);
		free(names[i]);
	}
	free(names);
	return ran;
}

static int
run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return run_dir(path);
	return run_file(path) < 0 ? -1 : 1;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("TOP_SRCDIR");
	const char *prog = strrchr(argv[0], '/');
	int total = 0, n;

	prog = prog != NULL ? prog + 1 : argv[0];
	if (strncmp(prog, "fuzz_", 5) == 0)
		prog += 5;
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			if ((n = run_path(argv[i])) < 0)
				return 1;
			total += n;
		}
	} else {
		struct buf dir = { 0 };

		buf_printf(&dir, "%s/tests/fuzz/corpus/%s",
		    top != NULL ? top : TOP_SRCDIR, prog);
		n = run_dir(dir.data);
		buf_free(&dir);
		if (n <= 0) {
			fprintf(stderr, "%s: no corpus\n", prog);
			return 1;
		}
		total = n;
	}
	/* No test count: a replay is no test (scripts/summary.py only counts
	 * it when it fails). */
	printf("%s: %d corpus files replayed without a finding\n", prog, total);
	return 0;
}
