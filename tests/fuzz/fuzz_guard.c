/* The request framing guard over any bytes: it never reads out of bounds,
 * gives only the documented verdicts, and its verdict does not depend on
 * how the stream is cut into reads (recv() returns what it likes). */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "guard.h"

static void
same(const struct guard *a, const struct guard *b)
{
	FUZZ_ASSERT(a->status == b->status);
	FUZZ_ASSERT(a->request == b->request);
	FUZZ_ASSERT(a->chunked == b->chunked);
	if (a->status != 0) {
		FUZZ_ASSERT(a->bad_request == b->bad_request);
		FUZZ_ASSERT(strcmp(a->reason, b->reason) == 0);
	}
	if (a->chunked)
		FUZZ_ASSERT(a->chunked_request == b->chunked_request);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guard whole, cut, bytes;
	size_t k = size > 0 ? data[0] % (size + 1) : 0;
	bool ok;

	guard_init(&whole);
	ok = guard_feed(&whole, data, size);
	FUZZ_ASSERT(ok == (whole.status == 0));
	FUZZ_ASSERT(whole.status == 0 || whole.status == 400 ||
	    whole.status == 501 || whole.status == 505);
	FUZZ_ASSERT(whole.status == 0 || (whole.reason != NULL &&
	    whole.bad_request <= whole.request));
	/* Once refused, the verdict stays whatever follows. */
	if (whole.status != 0) {
		struct guard more = whole;

		guard_feed(&more, data, size);
		same(&whole, &more);
	}

	guard_init(&cut);
	guard_feed(&cut, data, k);
	guard_feed(&cut, data + k, size - k);
	same(&whole, &cut);

	guard_init(&bytes);
	for (size_t i = 0; i < size && i < 4096; i++)
		guard_feed(&bytes, data + i, 1);
	if (size <= 4096)
		same(&whole, &bytes);
	return 0;
}
