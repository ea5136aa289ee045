/* Domain list files, as a provider's "domains" names them ("@PATH"): one
 * domain a line with '#' comments, or a Postfix lookup table in its text
 * form (virtual_mailbox_domains, relay_domains), whose key, the first
 * field of a line, is the domain. */
#ifndef AUTOCONFD_DOMFILE_H
#define AUTOCONFD_DOMFILE_H

#include <stddef.h>

struct domfile {
	const char *p, *end;		/* the rest of the text */
	unsigned int line;		/* of the last key returned */
};

void domfile_begin(struct domfile *f, const char *text, size_t len);

/* The next key (not NUL-terminated) and its length and line; its column
 * is always 1. NULL at the end. Blank lines, comments ('#' as the first
 * character that is not white space) and Postfix continuation lines (that
 * start with white space) hold no key. */
const char *domfile_next(struct domfile *f, size_t *len);

#endif
