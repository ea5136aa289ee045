/* The access log: one line per request, collected per worker thread and
 * written in whole lines, so the workers never wait for each other. */
#ifndef AUTOCONFD_ACCESSLOG_H
#define AUTOCONFD_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct alog_entry {
	time_t when;
	const struct sockaddr *peer;
	const char *forwarded_for;	/* X-Forwarded-For of a trusted proxy */
	const char *method;
	const char *path;		/* the request target as received */
	const char *email;		/* the address the request named */
	unsigned int status;
	uint64_t bytes;
	uint64_t usec;
	const char *endpoint;
	const char *user_agent;
	bool full_addresses;		/* else addresses become their domain */
	/* Appended after the user agent (older parsers read up to it): */
	const char *host;		/* the Host header as received; logged
					 * normalised */
	const char *client;		/* client family (client_name()) */
	const char *provider;		/* id of the provider that answered */
	/* The domain of a request without an address (from its Host),
	 * logged where the address's domain would be. */
	const char *domain;
};

#define ALOG_LINE_MAX 2048

/* Points the log at target: NULL (off), "stderr" or a file name, which is
 * (re)opened for appending. Returns 0, or -1 after logging why (the log
 * then keeps its previous target). */
int alog_open(const char *target);
bool alog_enabled(void);
/* Formats one line, newline included, into out; returns its length. */
size_t alog_format(const struct alog_entry *e, char *out, size_t size);
/* Logs one request (buffered). */
void alog_write(const struct alog_entry *e);
/* Writes out every worker's buffered lines. */
void alog_flush(void);

#endif
