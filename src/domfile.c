#include "config.h"

#include <string.h>

#include "domfile.h"

void
domfile_begin(struct domfile *f, const char *text, size_t len)
{
	f->p = text;
	f->end = text + len;
	f->line = 0;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

const char *
domfile_next(struct domfile *f, size_t *len)
{
	while (f->p < f->end) {
		const char *line = f->p, *eol, *q;

		eol = memchr(line, '\n', (size_t)(f->end - line));
		if (eol == NULL)
			eol = f->end;
		f->p = eol < f->end ? eol + 1 : eol;
		f->line++;
		for (q = line; q < eol && blank(*q); q++)
			;
		/* Postfix continues a logical line on lines that start with
		 * white space: they carry a value, never a key. */
		if (q == eol || *q == '#' || q != line)
			continue;
		while (q < eol && !blank(*q))
			q++;
		*len = (size_t)(q - line);
		return line;
	}
	return NULL;
}
