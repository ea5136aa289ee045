/* Shared by the libFuzzer harnesses. Each harness is built twice: with
 * libFuzzer (--enable-fuzzing, clang) to search for crashes, and with
 * replay.c as its main() in every other build, where make check runs it
 * over its corpus in tests/fuzz/corpus/<target>/, so every input that
 * ever crashed stays a regression test. */
#ifndef AUTOCONFD_FUZZ_H
#define AUTOCONFD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Optional, as in libFuzzer: a harness defines it when it needs set-up. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test broke: a finding like a crash. */
#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif
