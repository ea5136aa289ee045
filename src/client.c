/* Telling mail clients apart, for the metrics and the access log.
 *
 * The endpoint says most: only Apple devices install a profile
 * (mobileconfig), only PACC clients ask for the user-agent-configuration
 * document, and only ActiveSync clients ask for the mobilesync schema.
 * Autoconfig is shared: Thunderbird on the desktop sends ?emailaddress=,
 * Thunderbird for Android and K-9 Mail (and KMail, Geary) never do, and
 * Evolution sends the made-up address EVOLUTIONUSER@<domain> (with
 * &emailmd5=). Autodiscover POX and v2 JSON are Outlook's, unless the
 * User-Agent names another client (Thunderbird asks POX too).
 *
 * The User-Agent values the patterns below are for, as these clients send
 * them (versions vary):
 *
 *   Thunderbird (desktop, Gecko's own string):
 *     Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101
 *     Thunderbird/128.5.0
 *     (Betterbird/ and Debian's old Icedove/ in the same place)
 *   Thunderbird for Android and K-9 Mail: their autoconfig fetches go
 *   through OkHttp with no User-Agent of their own, so OkHttp's default:
 *     okhttp/4.12.0
 *   Outlook for Windows, for Mac, for iOS and Android:
 *     Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook
 *     16.0.17928; Pro)
 *     MacOutlook/16.89.24091630 (Intelx64 Mac OS X 14.6.1 (Build 23G93))
 *     Outlook-iOS/2.0, Outlook-Android/2.0
 *   KMail (its account wizard fetches through KIO's HTTP worker):
 *     Mozilla/5.0 (X11; Linux x86_64) KHTML/5.115.0 (like Gecko)
 *     Konqueror/5 KIO/5.115
 *   Evolution and Geary: Evolution/3.x, Geary/x where set; Evolution's
 *   autoconfig lookup is told apart by its EVOLUTIONUSER address instead.
 *   Apple's mail stack (Exchange accounts on iOS and macOS, Mail itself):
 *     iOS/17.5 (21F79) dataaccessd/1.0
 *     Apple-iPhone15C2/2104.100.8
 *     Mac OS X/14.5 (23F79); ExchangeWebServices/9.0 (...)
 *     Mail/3774.600.62 CFNetwork/1496.0.7 Darwin/23.5.0
 *   Tools (curl/8.5.0, Wget/1.21, python-requests/2.31, Go-http-client/1.1,
 *   Python-urllib/3.11, libwww-perl/6.72): an admin testing, not a
 *   client; counted as other.
 *
 * A match is a plain, case-sensitive substring (or prefix) of the first
 * UA_SCAN_MAX bytes, found in one pass: the request path pays a few
 * hundred nanoseconds at most. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "client.h"
#include "util.h"

/* Real clients' strings are under 200 bytes; a longer one is read no
 * further, so a hostile header costs no more. */
#define UA_SCAN_MAX 512

enum {
	M_THUNDERBIRD = 1u << 0,
	M_ANDROID = 1u << 1,
	M_OKHTTP = 1u << 2,
	M_OUTLOOK = 1u << 3,
	M_EVOLUTION = 1u << 4,
	M_APPLE_MAIL = 1u << 5,
	M_TOOL = 1u << 6,
	M_APPLE_DEVICE = 1u << 7,
};

struct needle {
	const char *s;
	size_t len;
	unsigned int mark;
};

#define N(s, mark) { s, sizeof(s) - 1, mark }

/* Found anywhere in the string. */
static const struct needle anywhere[] = {
	N("Thunderbird/", M_THUNDERBIRD),
	N("Betterbird/", M_THUNDERBIRD),
	N("Icedove/", M_THUNDERBIRD),
	N("Android", M_ANDROID),
	N("Microsoft Office/", M_OUTLOOK),
	N("Microsoft Outlook", M_OUTLOOK),
	N("MacOutlook/", M_OUTLOOK),
	N("Outlook-iOS/", M_OUTLOOK),
	N("Outlook-Android/", M_OUTLOOK),
	N("Evolution/", M_EVOLUTION),
	N("KMail/", M_EVOLUTION),
	N("KIO/", M_EVOLUTION),
	N("Geary/", M_EVOLUTION),
	N("dataaccessd/", M_APPLE_MAIL),
	N("accountsd/", M_APPLE_MAIL),
	N("Apple-iPhone", M_APPLE_MAIL),
	N("Apple-iPad", M_APPLE_MAIL),
	N("ExchangeWebServices/", M_APPLE_MAIL),
	/* Browsers: Safari and every other browser on these devices (iPadOS
	 * asks for desktop pages as a Mac: "Macintosh; Intel Mac OS X"). */
	N("iPhone", M_APPLE_DEVICE),
	N("iPad", M_APPLE_DEVICE),
	N("iPod", M_APPLE_DEVICE),
	N("Macintosh", M_APPLE_DEVICE),
};

/* Found only at the start. */
static const struct needle prefixes[] = {
	N("okhttp/", M_OKHTTP),
	N("Mail/", M_APPLE_MAIL),
	N("curl/", M_TOOL),
	N("Wget/", M_TOOL),
	N("python-requests/", M_TOOL),
	N("Python-urllib/", M_TOOL),
	N("Go-http-client/", M_TOOL),
	N("libwww-perl/", M_TOOL),
};

#undef N

/* The first bytes of the needles in anywhere[]: the scan stops only at
 * these. (The unit test checks that every needle's first byte is here.) */
static const unsigned char first_byte[256] = {
	['T'] = 1, ['B'] = 1, ['I'] = 1, ['A'] = 1, ['M'] = 1, ['O'] = 1,
	['E'] = 1, ['K'] = 1, ['G'] = 1, ['d'] = 1, ['a'] = 1, ['i'] = 1,
};

static unsigned int
ua_marks(const char *ua)
{
	unsigned int m = 0;
	size_t n;

	if (ua == NULL)
		return 0;
	n = strnlen(ua, UA_SCAN_MAX);
	for (size_t k = 0; k < ARRAY_LEN(prefixes); k++)
		if (n >= prefixes[k].len &&
		    memcmp(ua, prefixes[k].s, prefixes[k].len) == 0)
			m |= prefixes[k].mark;
	for (size_t i = 0; i < n; i++) {
		if (!first_byte[(unsigned char)ua[i]])
			continue;
		for (size_t k = 0; k < ARRAY_LEN(anywhere); k++) {
			const struct needle *nd = &anywhere[k];

			if (nd->s[0] == ua[i] && n - i >= nd->len &&
			    memcmp(ua + i, nd->s, nd->len) == 0)
				m |= nd->mark;
		}
	}
	return m;
}

enum client
client_classify(const struct client_facts *f)
{
	static const char evo[] = "EVOLUTIONUSER@";
	unsigned int m;

	switch (f->route) {
	case CROUTE_NONE:
		return CLIENT_NONE;
	case CROUTE_SETTINGS:
		return CLIENT_OTHER;	/* a person's browser */
	default:
		break;
	}
	m = ua_marks(f->user_agent);
	if (m & M_TOOL)
		return CLIENT_OTHER;
	if (f->route == CROUTE_MOBILECONFIG)
		return CLIENT_APPLE;
	if (f->route == CROUTE_PACC)
		return CLIENT_PACC;
	if (f->activesync)
		return CLIENT_ACTIVESYNC;
	if (f->route == CROUTE_AUTOCONFIG && f->emailaddress != NULL &&
	    strncmp(f->emailaddress, evo, sizeof(evo) - 1) == 0)
		return CLIENT_EVOLUTION;
	if (m & M_THUNDERBIRD)
		return m & M_ANDROID ? CLIENT_THUNDERBIRD_ANDROID :
		    CLIENT_THUNDERBIRD;
	/* OkHttp is every other Android app's library too: believed only
	 * where the Android mail apps use it. */
	if ((m & M_OKHTTP) && f->route == CROUTE_AUTOCONFIG)
		return CLIENT_THUNDERBIRD_ANDROID;
	if (m & M_OUTLOOK)
		return CLIENT_OUTLOOK;
	if (m & M_EVOLUTION)
		return CLIENT_EVOLUTION;
	if (m & M_APPLE_MAIL)
		return CLIENT_APPLE;
	switch (f->route) {
	case CROUTE_AUTOCONFIG:
		/* Of the clients that send no User-Agent we know, only
		 * Thunderbird on the desktop names the address. */
		return f->emailaddress != NULL && f->emailaddress[0] != '\0' ?
		    CLIENT_THUNDERBIRD : CLIENT_OTHER;
	case CROUTE_AUTODISCOVER:
	case CROUTE_AUTODISCOVER_JSON:
		return CLIENT_OUTLOOK;
	default:
		return CLIENT_OTHER;
	}
}

const char *
client_name(enum client c)
{
	static const char *const names[CLIENT_COUNT] = {
		[CLIENT_THUNDERBIRD] = "thunderbird",
		[CLIENT_THUNDERBIRD_ANDROID] = "thunderbird-android",
		[CLIENT_OUTLOOK] = "outlook",
		[CLIENT_APPLE] = "apple",
		[CLIENT_EVOLUTION] = "evolution",
		[CLIENT_PACC] = "pacc",
		[CLIENT_ACTIVESYNC] = "activesync",
		[CLIENT_OTHER] = "other",
	};

	return (unsigned int)c < CLIENT_COUNT ? names[c] : NULL;
}

bool
client_apple_device(const char *user_agent)
{
	return (ua_marks(user_agent) & M_APPLE_DEVICE) != 0;
}
