/* gmtime_r() without a lock, for the whole daemon.
 *
 * libmicrohttpd formats the Date header of every response with
 * gmtime_r(), and glibc's takes the process-wide time zone lock even for
 * UTC: every answer of every worker thread went through that one mutex.
 * UTC needs no time zone, only calendar arithmetic, so the daemon defines
 * gmtime_r() itself, and the dynamic linker binds libmicrohttpd's calls
 * (and every library's) to the executable's definition. Linked into the
 * daemon only; check_ops holds it to the C library's gmtime(). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

struct tm *
gmtime_r(const time_t *t, struct tm *tm)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212,
	    243, 273, 304, 334 };
	int64_t days = (int64_t)*t / 86400, secs = (int64_t)*t % 86400;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Days counted in 400-year cycles of 146,097 days from 0000-03-01,
	 * so that a leap day ends its year. */
	int64_t z = days + 719468;
	int64_t cycle = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doc = z - cycle * 146097;			/* [0, 146096] */
	int64_t yoc = (doc - doc / 1460 + doc / 36524 - doc / 146096) / 365;
	int64_t doy = doc - (365 * yoc + yoc / 4 - yoc / 100);	/* from Mar 1 */
	int64_t mp = (5 * doy + 2) / 153;			/* 0: March */
	int64_t year = yoc + cycle * 400 + (mp >= 10);
	int mon = (int)(mp < 10 ? mp + 2 : mp - 10);		/* 0: January */

	if (year - 1900 > INT_MAX || year - 1900 < INT_MIN) {
		errno = EOVERFLOW;
		return NULL;
	}
	tm->tm_sec = (int)(secs % 60);
	tm->tm_min = (int)(secs / 60 % 60);
	tm->tm_hour = (int)(secs / 3600);
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_mon = mon;
	tm->tm_year = (int)(year - 1900);
	tm->tm_wday = (int)(((days + 4) % 7 + 7) % 7);	/* 1970-01-01: Thu */
	tm->tm_yday = before[mon] + tm->tm_mday - 1 +
	    (mon >= 2 && leap(year));
	tm->tm_isdst = 0;
	tm->tm_gmtoff = 0;
	tm->tm_zone = "GMT";
	return tm;
}
