#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "endpoints.h"
#include "site.h"

#define PREFIX "/.well-known/acme-challenge/"
#define TOKEN_MAX 128		/* base64url of far more than 32 bytes */
#define KEYAUTH_MAX 1024	/* token "." thumbprint: under 200 bytes */

/* A token is base64url: nothing that can name another file. */
static bool
token_ok(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > TOKEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '-' ||
		    t[i] == '_'))
			return false;
	return true;
}

void
ep_acme(const struct request *rq, struct reply *rp)
{
	const char *dir = rq->site->conf->acme_challenge_dir;
	const char *token = rq->path + strlen(PREFIX);
	char path[4096 + TOKEN_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd;

	if (dir == NULL) {
		reply_text(rp, 404, "no acme_challenge_dir configured");
		return;
	}
	if (!token_ok(token)) {
		reply_text(rp, 404, "not an ACME token");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, token);
	/* Regular files only: no link out of the directory, no FIFO to
	 * hang a worker on. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		reply_text(rp, 404, "no such challenge");
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > KEYAUTH_MAX) {
		close(fd);
		reply_text(rp, 404, "no such challenge");
		return;
	}
	rp->body.len = 0;
	buf_reserve(&rp->body, KEYAUTH_MAX);
	do
		n = read(fd, rp->body.data, KEYAUTH_MAX);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0) {
		reply_text(rp, 500, "cannot read the challenge");
		return;
	}
	rp->body.len = (size_t)n;
	rp->body.data[n] = '\0';
	rp->status = 200;
	/* As RFC 8555 8.3 shows it. */
	rp->ctype = "application/octet-stream";
	reply_header(rp, "Cache-Control", "no-store");
}
