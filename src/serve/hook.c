/* hook.c - the claims hook (--claims-hook CMD): at issuance time the
 * server runs a command with the exchange as JSON on its standard input
 * and takes the claims from its standard output.
 *
 * The command line is split into words at spaces and tabs once, at
 * start; no shell ever sees it or the data (posix_spawn with an argv:
 * nothing the request carries becomes an argument). The child gets an
 * empty signal mask and default dispositions, its standard error is the
 * server's. Time (--claims-hook-timeout) and output (64 KiB) are
 * bounded: past either the child is killed (SIGKILL) and reaped, so no
 * zombie stays; a worker thread waits at most the timeout. */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_OUT_MAX (64u << 10)
#define HOOK_ARGS_MAX 32

extern char **environ;

struct vci_serve_hook {
	char *line;                   /* the command line, split in place */
	char *argv[HOOK_ARGS_MAX + 1];
	long timeout_ms;
};

int vci_serve_hook_new(vci_serve_t *s, const char *cmd, long timeout_ms, vci_err_t *err)
{
	struct vci_serve_hook *h = calloc(1, sizeof *h);
	size_t n = 0;
	char *save = NULL, *w;

	if (!h || !(h->line = strdup(cmd))) {
		free(h);
		return vci_err_oom(err);
	}
	for (w = strtok_r(h->line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (n == HOOK_ARGS_MAX) {
			free(h->line);
			free(h);
			return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--claims-hook: "
					   "more than %d words", HOOK_ARGS_MAX);
		}
		h->argv[n++] = w;
	}
	if (!n) {
		free(h->line);
		free(h);
		return vci_err_set(err, VCI_EXIT_USAGE, "invalid_option", "--claims-hook: empty");
	}
	h->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	s->hook = h;
	return 0;
}

void vci_serve_hook_free(vci_serve_t *s)
{
	if (!s->hook)
		return;
	free(s->hook->line);
	free(s->hook);
	s->hook = NULL;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Start the child with pipes for its standard input and output (the
 * parent's ends close-on-exec and non-blocking). */
static int hook_spawn(const struct vci_serve_hook *h, pid_t *pid, int *in, int *out,
		      vci_err_t *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, rc;

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0) {
		rc = errno;
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&def);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(pid, h->argv[0], &fa, &at, h->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc)
		goto fail;
	close(pin[0]);
	close(pout[1]);
	*in = pin[1];
	*out = pout[0];
	fcntl(*in, F_SETFL, O_NONBLOCK);
	fcntl(*out, F_SETFL, O_NONBLOCK);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
	}
	return vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: %s: cannot start: %s",
			   h->argv[0], strerror(rc));
}

/* Feed `input` and read the output until EOF, the deadline or the cap.
 * Returns 0, or -1 with err (the child is then to be killed). */
static int hook_talk(int in, int out, const char *input, char *buf, size_t *len,
		     const struct timespec *deadline, long timeout_ms, vci_err_t *err)
{
	size_t left = strlen(input);

	*len = 0;
	for (;;) {
		struct pollfd p[2] = { { out, POLLIN, 0 }, { in, POLLOUT, 0 } };
		long ms = ms_left(deadline);
		ssize_t n;

		if (ms <= 0)
			return vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: no answer "
					   "within %ld ms: killed", timeout_ms);
		if (poll(p, in >= 0 ? 2 : 1, (int)(ms > 1000 ? 1000 : ms)) < 0 && errno != EINTR)
			return vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: poll: %s",
					   strerror(errno));
		if (in >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(in, input, left);
			if (n > 0) {
				input += n;
				left -= (size_t)n;
			}
			if (left == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				close(in);   /* done, or the child closed its input */
				in = -1;
			}
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(out, buf + *len, HOOK_OUT_MAX + 1 - *len);
		if (n == 0)
			break;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: read: %s",
					   strerror(errno));
		*len += (size_t)n;
		if (*len > HOOK_OUT_MAX)
			return vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: output "
					   "over %u bytes: killed", HOOK_OUT_MAX);
	}
	if (in >= 0)
		close(in);
	buf[*len] = 0;
	return 0;
}

/* Reap the child, waiting until the deadline; then kill it. Returns its
 * wait status, or -1 when it had to be killed. */
static int hook_reap(pid_t pid, const struct timespec *deadline, int kill_now)
{
	int st = 0;

	while (!kill_now) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;
		if (ms_left(deadline) <= 0)
			break;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return -1;
}

int vci_serve_hook_run(vci_serve_t *s, const json_t *input, json_t **claims, vci_err_t *err)
{
	const struct vci_serve_hook *h = s->hook;
	struct timespec deadline;
	char_auto_t *text = vci_json_dump(input);
	char *buf = malloc(HOOK_OUT_MAX + 2);
	int in, out, st, rc;
	size_t len = 0;
	pid_t pid;

	*claims = NULL;
	if (!text || !buf) {
		free(buf);
		return vci_err_oom(err);
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += h->timeout_ms / 1000;
	deadline.tv_nsec += (h->timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	if (hook_spawn(h, &pid, &in, &out, err) < 0) {
		free(buf);
		return -1;
	}
	rc = hook_talk(in, out, text, buf, &len, &deadline, h->timeout_ms, err);
	close(out);
	st = hook_reap(pid, &deadline, rc < 0);
	if (rc == 0 && st < 0)
		rc = vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: did not exit "
				 "within %ld ms: killed", h->timeout_ms);
	else if (rc == 0 && WIFSIGNALED(st))
		rc = vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: killed by signal "
				 "%d", WTERMSIG(st));
	else if (rc == 0 && WEXITSTATUS(st) == VCI_HOOK_PENDING)
		rc = VCI_HOOK_PENDING;
	else if (rc == 0 && WEXITSTATUS(st) != 0)
		rc = vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: exit status %d",
				 WEXITSTATUS(st));
	if (rc == 0) {
		*claims = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(*claims)) {
			json_decref(*claims);
			*claims = NULL;
			rc = vci_err_set(err, VCI_EXIT_IO, "server_error", "claims hook: its output "
					 "is not a JSON object");
		}
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}
