/* Maps a JSON path (providers[0].servers[2].port) to its line and column in
 * the source text. jansson reports positions only for syntax errors; this
 * scan gives semantic errors the same precision. It runs only when there is
 * an error to report, so loading a valid config never pays for it. */
#ifndef AUTOCONFD_JPOS_H
#define AUTOCONFD_JPOS_H

#include <stddef.h>

/* Finds the value at path (or, with at_key, the member's key). Lines and
 * columns count from 1; columns count characters, not bytes.
 * Returns 0, or -1 if the path is not in the text. */
int jpos_find(const char *text, size_t len, const char *path, int at_key,
    int *line, int *col);

#endif
