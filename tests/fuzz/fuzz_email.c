/* Email address, domain and Host parsing: everything a client sends that
 * becomes a lookup key or part of an answer. Besides not crashing, every
 * accepted result must be normalised, within the limits, and stable. */
#include "config.h"

#include <string.h>

#include "email.h"
#include "fuzz.h"
#include "util.h"

/* A normalised domain: 1-253 octets of lowercase LDH labels. */
static void
check_domain(const char *d)
{
	char again[DOMAIN_MAX + 1];
	const char *why;
	size_t len = strlen(d);

	FUZZ_ASSERT(len >= 1 && len <= DOMAIN_MAX);
	FUZZ_ASSERT(strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789.-") == len);
	FUZZ_ASSERT(domain_normalize(d, len, again, sizeof(again), &why) == 0);
	FUZZ_ASSERT(strcmp(again, d) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char dom[DOMAIN_MAX + 1];
	struct email em;
	const char *why;

	if (email_parse(in, size, &em, &why) == 0) {
		FUZZ_ASSERT(why == NULL);
		FUZZ_ASSERT(strlen(em.addr) <= EMAIL_MAX);
		FUZZ_ASSERT(em.local_len >= 1 && em.local_len <= LOCAL_MAX);
		FUZZ_ASSERT(em.addr[em.local_len] == '@');
		FUZZ_ASSERT(em.domain == em.addr + em.local_len + 1);
		/* Nothing that could break out of a quoted or markup context
		 * survives in the local part. */
		for (size_t i = 0; i < em.local_len; i++)
			FUZZ_ASSERT(strchr("\"<>\\ \r\n\t", em.addr[i]) == NULL);
		check_domain(em.domain);
	} else
		FUZZ_ASSERT(why != NULL && why[0] != '\0');

	if (domain_normalize(in, size, dom, sizeof(dom), &why) == 0) {
		check_domain(dom);
		const char *rest = domain_strip_service_label(dom);
		if (rest != NULL)
			check_domain(rest);
	} else
		FUZZ_ASSERT(why != NULL);

	/* The Host header arrives as a C string. */
	char *host = xstrndup(in, size);
	if (host_to_domain(host, dom, sizeof(dom)) == 0) {
		check_domain(dom);
		FUZZ_ASSERT(!domain_is_ipv4(dom));
	}
	(void)domain_is_ipv4(host);
	free(host);
	return 0;
}
