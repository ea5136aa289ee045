/* Maps a JSON path (providers[0].servers[2].port) to its line and column in
 * the source text. jansson reports positions only for syntax errors; this
 * scan gives semantic errors the same precision. It runs only when there is
 * an error to report, so loading a valid config never pays for it. The same
 * scanner splits the providers array for the loader (jpos_split()). */
#ifndef AUTOCONFD_JPOS_H
#define AUTOCONFD_JPOS_H

#include <stddef.h>

/* Finds the value at path (or, with at_key, the member's key). Lines and
 * columns count from 1; columns count characters, not bytes.
 * Returns 0, or -1 if the path is not in the text. */
int jpos_find(const char *text, size_t len, const char *path, int at_key,
    int *line, int *col);

/* A trailing comma ("[1, 2,]", "{"a": 1,}"), which JSON does not allow:
 * when the character at *line:*col (where the parser stopped) closes an
 * array or object and the last character before it, white space aside,
 * is a comma, sets *line and *col to the comma and *closer to the
 * bracket, and returns 0; else -1. */
int jpos_trailing_comma(const char *text, size_t len, int *line, int *col,
    char *closer);

/* A place in the text: byte offset, line and column as above. */
struct jpos_at {
	size_t off;
	int line, col;
};

/* A value: where it starts and how many bytes it has. */
struct jpos_span {
	struct jpos_at at;
	size_t len;
};

/* An array that is the value of a key of the top-level object: where its
 * brackets are, and its elements. */
struct jpos_array {
	struct jpos_at open, close;
	struct jpos_span *elem;
	size_t n;
};

/* Finds the array under key in the top-level object, so that a loader can
 * parse its elements one at a time. Returns -1 (with nothing to free) if
 * the text is not plainly an object holding key once, with an array of
 * objects: then only a parse of the whole text can say what is wrong. */
int jpos_split(const char *text, size_t len, const char *key,
    struct jpos_array *a);
void jpos_array_free(struct jpos_array *a);

#endif
