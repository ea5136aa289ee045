/* MTA-STS (RFC 8461): the policy senders fetch from
 * https://mta-sts.<domain>/.well-known/mta-sts.txt before they deliver to
 * the domain's MX hosts over TLS only. */
#include "config.h"

#include <string.h>

#include "digest.h"
#include "render.h"

static const char *const mode_names[] = { "enforce", "testing", "none" };

static bool
seen_before(const struct provider *p, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (p->servers[k].proto == PROTO_SMTP &&
		    strcmp(p->servers[k].host, p->servers[i].host) == 0)
			return true;
	return false;
}

int
render_mta_sts(const struct provider *p, struct buf *out)
{
	const struct mta_sts *m = p->mta_sts;

	if (m == NULL)
		return -1;
	/* Key-value pairs in the order of the RFC's example; senders take
	 * them in any order, version first. */
	buf_printf(out, "version: STSv1\r\nmode: %s\r\n", mode_names[m->mode]);
	if (m->nmx > 0)
		for (size_t i = 0; i < m->nmx; i++)
			buf_printf(out, "mx: %s\r\n", m->mx[i]);
	else
		for (size_t i = 0; i < p->nservers; i++)
			if (p->servers[i].proto == PROTO_SMTP &&
			    !seen_before(p, i))
				buf_printf(out, "mx: %s\r\n",
				    p->servers[i].host);
	buf_printf(out, "max_age: %lu\r\n", m->max_age);
	return 0;
}

void
mta_sts_id(const char *policy, size_t len, char id[MTA_STS_ID_LEN + 1])
{
	digest_sha256_hex(policy, len, MTA_STS_ID_LEN / 2, id);
}
