#include "config.h"

#include <jansson.h>

#include "render.h"

/* Appends o as compact JSON (keys in insertion order) and frees it. */
static int
dump(json_t *o, struct buf *out)
{
	size_t n = o != NULL ? json_dumpb(o, NULL, 0, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : 0;

	if (n == 0) {
		json_decref(o);
		return -1;
	}
	buf_reserve(out, n);
	json_dumpb(o, out->data + out->len, n, JSON_COMPACT |
	    JSON_PRESERVE_ORDER);
	out->len += n;
	out->data[out->len] = '\0';
	json_decref(o);
	return 0;
}

int
render_ad_json(const char *protocol, const char *url, struct buf *out)
{
	return dump(json_pack("{s:s, s:s}", "Protocol", protocol, "Url", url),
	    out);
}

int
render_ad_json_v1(const char *base, struct buf *out)
{
	struct buf url = { 0 };
	int r;

	buf_printf(&url, "%s/autodiscover/autodiscover.xml", base);
	r = render_ad_json("AutodiscoverV1", url.data, out);
	buf_free(&url);
	return r;
}

int
render_ad_json_activesync(const struct provider *p, struct buf *out)
{
	if (p->activesync == NULL)
		return 0;
	return render_ad_json("ActiveSync", p->activesync, out);
}

/* The value is echoed only when it is short printable ASCII: it comes from
 * the request. */
static bool
echo_ok(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (*s < 0x20 || *s > 0x7e || n >= 64)
			return false;
	return true;
}

int
render_ad_json_error(const char *given, const char *supported,
    struct buf *out)
{
	struct buf msg = { 0 };
	int r;

	buf_printf(&msg, "The given protocol value '%s' is invalid. "
	    "Supported values are '%s'", echo_ok(given) ? given : "(invalid)",
	    supported);
	r = dump(json_pack("{s:s, s:s}", "ErrorCode", "InvalidProtocol",
	    "ErrorMessage", msg.data), out);
	buf_free(&msg);
	return r;
}
