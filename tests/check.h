/* check.h: the assertions of every C test. A failed check prints
 * "FAIL file:line: ..." with what was expected and what came, and either
 * lets the test go on (CHECK*, so one run shows every failure) or ends it
 * (REQUIRE*, when the rest cannot run). A test ends with
 * `return check_done("name");` (exit 0 pass, 1 fail) or calls check_skip()
 * (exit 77 with the reason). Needs only libc. */
#pragma once
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_SKIP 77

/* Where failures are reported; a test that captures stderr defines
 * CHECK_OUT before including this header. */
#ifndef CHECK_OUT
#define CHECK_OUT stderr
#endif

/* Failed checks so far. Weak, so that every file of one test program
 * (a test and its harness) counts into the same variable. */
__attribute__((weak)) int check_failures;

__attribute__((format(printf, 4, 5)))
static inline void check_fail_(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	check_failures++;
	fprintf(CHECK_OUT, "FAIL %s:%d: ", file, line);
	if (cond)
		fprintf(CHECK_OUT, "%s: ", cond);
	va_start(ap, fmt);
	vfprintf(CHECK_OUT, fmt, ap);
	va_end(ap);
	fputc('\n', CHECK_OUT);
	fflush(CHECK_OUT);
}

/* CHECK - @cond holds; else report it with the printf-style message. */
#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond))                                                    \
			check_fail_(__FILE__, __LINE__, #cond, __VA_ARGS__);     \
	} while (0)

/* REQUIRE - CHECK that ends the test (exit 1) when it fails. */
#define REQUIRE(cond, ...)                                                      \
	do {                                                                    \
		if (!(cond)) {                                                  \
			check_fail_(__FILE__, __LINE__, #cond, __VA_ARGS__);     \
			exit(1);                                                \
		}                                                               \
	} while (0)

/* CHECK_EQ - two integers are equal: "@what: got G, want W". Each side is
 * evaluated once. Returns whether they were, for a test that then
 * skips what depends on it. */
#define CHECK_EQ(got, want, what)                                               \
	check_eq_(__FILE__, __LINE__, (long long)(got), (long long)(want), (what), 0)
#define REQUIRE_EQ(got, want, what)                                             \
	((void)check_eq_(__FILE__, __LINE__, (long long)(got), (long long)(want), (what), 1))

static inline int check_eq_(const char *file, int line, long long got, long long want,
			    const char *what, int stop)
{
	if (got == want)
		return 1;
	check_fail_(file, line, NULL, "%s: got %lld, want %lld", what, got, want);
	if (stop)
		exit(1);
	return 0;
}

/* CHECK_STR - two strings are equal (NULL is a value of its own). */
#define CHECK_STR(got, want, what) check_str_(__FILE__, __LINE__, (got), (want), (what))

static inline int check_str_(const char *file, int line, const char *got, const char *want,
			     const char *what)
{
	if (got == want || (got && want && strcmp(got, want) == 0))
		return 1;
	check_fail_(file, line, NULL, "%s: got \"%s\", want \"%s\"", what, got ? got : "(null)",
		    want ? want : "(null)");
	return 0;
}

/* CHECK_NEAR - |got - want| <= tol, for results of floating point math. */
#define CHECK_NEAR(got, want, tol, what)                                        \
	check_near_(__FILE__, __LINE__, (double)(got), (double)(want), (double)(tol), (what))

static inline int check_near_(const char *file, int line, double got, double want, double tol,
			      const char *what)
{
	if (got - want <= tol && want - got <= tol)
		return 1;
	check_fail_(file, line, NULL, "%s: got %.17g, want %.17g (+-%g)", what, got, want, tol);
	return 0;
}

/* check_skip - print why the test cannot run here and exit 77. */
__attribute__((format(printf, 1, 2), noreturn))
static inline void check_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("SKIP: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(CHECK_SKIP);
}

/* check_done - the verdict line; the exit code for main (0 pass, 1 fail). */
static inline int check_done(const char *name)
{
	if (check_failures) {
		fprintf(CHECK_OUT, "%s: %d check(s) failed\n", name, check_failures);
		return 1;
	}
	printf("%s: all checks passed\n", name);
	return 0;
}
