/* One region owns all memory of a loaded config and is freed in one call
 * (NSD's habit): a reload is a pointer swap plus region_free(). */
#ifndef AUTOCONFD_REGION_H
#define AUTOCONFD_REGION_H

#include <stddef.h>

struct region;

struct region *region_new(void);
void region_free(struct region *r);
void *region_alloc(struct region *r, size_t n);	/* zeroed, 16-aligned */
char *region_strdup(struct region *r, const char *s);
char *region_strndup(struct region *r, const char *s, size_t n);
void *region_memdup(struct region *r, const void *p, size_t n);
size_t region_size(const struct region *r);

#endif
