/* Telling mail clients apart (client.c): every route, the address
 * parameter, and the User-Agent strings real clients send. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "unit.h"

/* Real User-Agent values, as the clients send them. */
#define UA_TB "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) " \
	"Gecko/20100101 Thunderbird/128.5.0"
#define UA_TB_MAC "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:128.0) " \
	"Gecko/20100101 Thunderbird/128.5.0"
#define UA_BETTERBIRD "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) " \
	"Gecko/20100101 Betterbird/115.16.0"
#define UA_OKHTTP "okhttp/4.12.0"
#define UA_OUTLOOK "Microsoft Office/16.0 (Windows NT 10.0; Microsoft " \
	"Outlook 16.0.17928; Pro)"
#define UA_MACOUTLOOK "MacOutlook/16.89.24091630 (Intelx64 Mac OS X " \
	"14.6.1 (Build 23G93))"
#define UA_OUTLOOK_ANDROID "Outlook-Android/2.0"
#define UA_OUTLOOK_IOS "Outlook-iOS/2.0"
#define UA_KMAIL "Mozilla/5.0 (X11; Linux x86_64) KHTML/5.115.0 " \
	"(like Gecko) Konqueror/5 KIO/5.115"
#define UA_IOS_EXCHANGE "iOS/17.5 (21F79) dataaccessd/1.0"
#define UA_IPHONE_EAS "Apple-iPhone15C2/2104.100.8"
#define UA_MAC_MAIL "Mail/3774.600.62 CFNetwork/1496.0.7 Darwin/23.5.0"
#define UA_SAFARI_IPHONE "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like " \
	"Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 " \
	"Mobile/15E148 Safari/604.1"
#define UA_SAFARI_MAC "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) " \
	"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
#define UA_CHROME_ANDROID "Mozilla/5.0 (Linux; Android 14; Pixel 8) " \
	"AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile " \
	"Safari/537.36"
#define UA_FIREFOX_LINUX "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) " \
	"Gecko/20100101 Firefox/128.0"
#define UA_CURL "curl/8.5.0"

static enum client
c(enum client_route r, const char *addr, bool eas, const char *ua)
{
	struct client_facts f = { .route = r, .emailaddress = addr,
	    .activesync = eas, .user_agent = ua };

	return client_classify(&f);
}

START_TEST(autoconfig)
{
	const char *a = "alice@example.com";

	/* Thunderbird on the desktop names the address; with no User-Agent
	 * the address alone says it. */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, a, false, UA_TB),
	    CLIENT_THUNDERBIRD);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, a, false, UA_TB_MAC),
	    CLIENT_THUNDERBIRD);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, a, false, UA_BETTERBIRD),
	    CLIENT_THUNDERBIRD);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, a, false, NULL),
	    CLIENT_THUNDERBIRD);
	/* Thunderbird without the address (its sendEmailAddress off). */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, UA_TB),
	    CLIENT_THUNDERBIRD);
	/* Thunderbird for Android and K-9: OkHttp, no address. */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, UA_OKHTTP),
	    CLIENT_THUNDERBIRD_ANDROID);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, a, false, UA_OKHTTP),
	    CLIENT_THUNDERBIRD_ANDROID);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false,
	    "Thunderbird/9.0 (Android 14)"), CLIENT_THUNDERBIRD_ANDROID);
	/* Evolution's made-up address, whatever its User-Agent. */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, "EVOLUTIONUSER@example.com",
	    false, NULL), CLIENT_EVOLUTION);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, "EVOLUTIONUSER@example.com",
	    false, "libsoup/3.4"), CLIENT_EVOLUTION);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, "evolutionuser@example.com",
	    false, NULL), CLIENT_THUNDERBIRD);
	/* KMail through KIO. */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, UA_KMAIL),
	    CLIENT_EVOLUTION);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, "Geary/46.0"),
	    CLIENT_EVOLUTION);
	/* Nothing to go by. */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, NULL),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, "", false, NULL),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, UA_FIREFOX_LINUX),
	    CLIENT_OTHER);
	/* An admin with curl is no client, address or not. */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, a, false, UA_CURL),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, a, false, "Wget/1.21.3"),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, a, false,
	    "python-requests/2.31.0"), CLIENT_OTHER);
}
END_TEST

START_TEST(autodiscover)
{
	static const enum client_route routes[] = { CROUTE_AUTODISCOVER,
	    CROUTE_AUTODISCOVER_JSON };

	for (size_t i = 0; i < 2; i++) {
		enum client_route r = routes[i];

		ck_assert_int_eq(c(r, NULL, false, UA_OUTLOOK),
		    CLIENT_OUTLOOK);
		ck_assert_int_eq(c(r, NULL, false, UA_MACOUTLOOK),
		    CLIENT_OUTLOOK);
		ck_assert_int_eq(c(r, NULL, false, UA_OUTLOOK_IOS),
		    CLIENT_OUTLOOK);
		/* "Android" in Outlook's string is not Thunderbird's. */
		ck_assert_int_eq(c(r, NULL, false, UA_OUTLOOK_ANDROID),
		    CLIENT_OUTLOOK);
		ck_assert_int_eq(c(r, NULL, false, NULL), CLIENT_OUTLOOK);
		/* Thunderbird asks Autodiscover too. */
		ck_assert_int_eq(c(r, NULL, false, UA_TB), CLIENT_THUNDERBIRD);
		ck_assert_int_eq(c(r, NULL, false, UA_MAC_MAIL), CLIENT_APPLE);
		ck_assert_int_eq(c(r, NULL, false,
		    "Mac OS X/14.5 (23F79); ExchangeWebServices/9.0"),
		    CLIENT_APPLE);
		/* Asking for ActiveSync settings decides, whoever asks. */
		ck_assert_int_eq(c(r, NULL, true, UA_IOS_EXCHANGE),
		    CLIENT_ACTIVESYNC);
		ck_assert_int_eq(c(r, NULL, true, UA_OUTLOOK_IOS),
		    CLIENT_ACTIVESYNC);
		ck_assert_int_eq(c(r, NULL, true, NULL), CLIENT_ACTIVESYNC);
		ck_assert_int_eq(c(r, NULL, false, UA_IOS_EXCHANGE),
		    CLIENT_APPLE);
		ck_assert_int_eq(c(r, NULL, false, UA_IPHONE_EAS),
		    CLIENT_APPLE);
		/* OkHttp means Android mail only on autoconfig. */
		ck_assert_int_eq(c(r, NULL, false, UA_OKHTTP), CLIENT_OUTLOOK);
		ck_assert_int_eq(c(r, NULL, false, UA_CURL), CLIENT_OTHER);
		/* The emailaddress parameter is autoconfig's only. */
		ck_assert_int_eq(c(r, "EVOLUTIONUSER@example.com", false,
		    NULL), CLIENT_OUTLOOK);
	}
}
END_TEST

START_TEST(fixed_by_endpoint)
{
	/* Only Apple devices install a profile: the browser that fetches
	 * it says nothing more. */
	ck_assert_int_eq(c(CROUTE_MOBILECONFIG, NULL, false, UA_SAFARI_IPHONE),
	    CLIENT_APPLE);
	ck_assert_int_eq(c(CROUTE_MOBILECONFIG, NULL, false, UA_TB),
	    CLIENT_APPLE);
	ck_assert_int_eq(c(CROUTE_MOBILECONFIG, NULL, false, NULL),
	    CLIENT_APPLE);
	ck_assert_int_eq(c(CROUTE_PACC, NULL, false, NULL), CLIENT_PACC);
	ck_assert_int_eq(c(CROUTE_PACC, NULL, false, UA_TB), CLIENT_PACC);
	ck_assert_int_eq(c(CROUTE_PACC, NULL, false, UA_CURL), CLIENT_OTHER);
	/* People's browsers on the settings page. */
	ck_assert_int_eq(c(CROUTE_SETTINGS, NULL, false, UA_SAFARI_IPHONE),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_SETTINGS, NULL, false, UA_OUTLOOK),
	    CLIENT_OTHER);
	/* Not a client's request at all. */
	ck_assert_int_eq(c(CROUTE_NONE, NULL, false, UA_TB), CLIENT_NONE);
	/* A path nothing serves: whoever the User-Agent names. */
	ck_assert_int_eq(c(CROUTE_UNKNOWN, NULL, false, UA_OUTLOOK),
	    CLIENT_OUTLOOK);
	ck_assert_int_eq(c(CROUTE_UNKNOWN, NULL, false, UA_TB),
	    CLIENT_THUNDERBIRD);
	ck_assert_int_eq(c(CROUTE_UNKNOWN, NULL, false, UA_OKHTTP),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_UNKNOWN, NULL, false, UA_SAFARI_IPHONE),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_UNKNOWN, NULL, false, NULL), CLIENT_OTHER);
}
END_TEST

/* Every pattern is found wherever it stands, and only as written. */
START_TEST(patterns_anywhere)
{
	static const struct { const char *needle; enum client want; } t[] = {
		{ "Thunderbird/1", CLIENT_THUNDERBIRD },
		{ "Betterbird/1", CLIENT_THUNDERBIRD },
		{ "Icedove/1", CLIENT_THUNDERBIRD },
		{ "Microsoft Office/16.0", CLIENT_OUTLOOK },
		{ "Microsoft Outlook 16", CLIENT_OUTLOOK },
		{ "MacOutlook/16", CLIENT_OUTLOOK },
		{ "Outlook-iOS/2", CLIENT_OUTLOOK },
		{ "Outlook-Android/2", CLIENT_OUTLOOK },
		{ "Evolution/3.50", CLIENT_EVOLUTION },
		{ "KMail/6", CLIENT_EVOLUTION },
		{ "KIO/6.3", CLIENT_EVOLUTION },
		{ "Geary/46", CLIENT_EVOLUTION },
		{ "dataaccessd/1.0", CLIENT_APPLE },
		{ "accountsd/113", CLIENT_APPLE },
		{ "Apple-iPhone15C2/2104", CLIENT_APPLE },
		{ "Apple-iPad13C1/2104", CLIENT_APPLE },
		{ "ExchangeWebServices/9.0", CLIENT_APPLE },
	};
	char ua[128];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(ua, sizeof(ua), "x (y; %s) z", t[i].needle);
		ck_assert_msg(c(CROUTE_AUTODISCOVER, NULL, false, ua) ==
		    t[i].want, "%s", ua);
		/* At the very end and the very start too. */
		snprintf(ua, sizeof(ua), "x %s", t[i].needle);
		ck_assert_msg(c(CROUTE_AUTODISCOVER, NULL, false, ua) ==
		    t[i].want, "%s", ua);
		ck_assert_msg(c(CROUTE_AUTODISCOVER, NULL, false,
		    t[i].needle) == t[i].want, "%s", t[i].needle);
	}
	/* Case as the clients send it; a prefix only at the start. */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, "thunderbird/1"),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, "x okhttp/4"),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, "a@b.c", false, "x curl/8"),
	    CLIENT_THUNDERBIRD);
	ck_assert_int_eq(c(CROUTE_AUTODISCOVER, NULL, false, "x Mail/3774"),
	    CLIENT_OUTLOOK);
	/* Cut short: no pattern reaches past the end. */
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, "Thunderbird"),
	    CLIENT_OTHER);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, "okhttp"),
	    CLIENT_OTHER);
}
END_TEST

/* A long hostile value is read only so far. */
START_TEST(long_user_agent)
{
	static char ua[8192];

	memset(ua, 'M', sizeof(ua) - 1);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, ua), CLIENT_OTHER);
	memcpy(ua + 100, "Thunderbird/1", 13);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, ua),
	    CLIENT_THUNDERBIRD);
	memset(ua + 100, 'M', 13);
	memcpy(ua + 6000, "Thunderbird/1", 13);
	ck_assert_int_eq(c(CROUTE_AUTOCONFIG, NULL, false, ua), CLIENT_OTHER);
}
END_TEST

START_TEST(apple_devices)
{
	ck_assert(client_apple_device(UA_SAFARI_IPHONE));
	ck_assert(client_apple_device(UA_SAFARI_MAC));
	ck_assert(client_apple_device("Mozilla/5.0 (iPad; CPU OS 17_5 like "
	    "Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
	    "CriOS/126.0 Mobile/15E148 Safari/604.1"));
	ck_assert(client_apple_device(UA_TB_MAC));
	ck_assert(!client_apple_device(UA_CHROME_ANDROID));
	ck_assert(!client_apple_device(UA_FIREFOX_LINUX));
	ck_assert(!client_apple_device(UA_TB));
	ck_assert(!client_apple_device(""));
	ck_assert(!client_apple_device(NULL));
}
END_TEST

START_TEST(names)
{
	static const char *const want[] = { "thunderbird",
	    "thunderbird-android", "outlook", "apple", "evolution", "pacc",
	    "activesync", "other" };

	ck_assert_ptr_null(client_name(CLIENT_NONE));
	ck_assert_int_eq(CLIENT_COUNT, 9);
	for (int i = CLIENT_NONE + 1; i < CLIENT_COUNT; i++)
		ck_assert_str_eq(client_name((enum client)i), want[i - 1]);
	ck_assert_ptr_null(client_name(CLIENT_COUNT));
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("classify");

	tcase_add_test(tc, autoconfig);
	tcase_add_test(tc, autodiscover);
	tcase_add_test(tc, fixed_by_endpoint);
	tcase_add_test(tc, patterns_anywhere);
	tcase_add_test(tc, long_user_agent);
	tcase_add_test(tc, apple_devices);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(suite)
