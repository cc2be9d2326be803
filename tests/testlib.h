/*
 * testlib.h -- the smallest test runner that does the job.
 *
 * A test file defines functions `static void t_name(void)` and one table
 *   static const struct tl_test tl_tests[] = { TL(t_name), ..., {0} };
 * then `int main(int c, char **v) { return tl_main(tl_tests, c, v); }`.
 * `./test_x` runs every test; `./test_x name...` runs the named ones.
 * Checks record the failure (file:line, expression, values) and carry on,
 * so one run shows every broken expectation.  Exit status 1 if any failed.
 */
#ifndef SNAPSIM_TESTLIB_H
#define SNAPSIM_TESTLIB_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tl_test { const char *name; void (*fn)(void); };
#define TL(fn) { #fn, fn }

static int tl_failures;

#define CHECK(cond) do { if (!(cond)) { tl_failures++; \
    fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_EQ_I(a, b) do { long long tl_a = (long long)(a), tl_b = (long long)(b); \
    if (tl_a != tl_b) { tl_failures++; fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
        __FILE__, __LINE__, #a, #b, tl_a, tl_b); } } while (0)
#define CHECK_EQ_U(a, b) do { unsigned long long tl_a = (unsigned long long)(a), tl_b = (unsigned long long)(b); \
    if (tl_a != tl_b) { tl_failures++; fprintf(stderr, "%s:%d: %s == %s failed: %llu != %llu\n", \
        __FILE__, __LINE__, #a, #b, tl_a, tl_b); } } while (0)
#define CHECK_NEAR(a, b, tol) do { double tl_a = (double)(a), tl_b = (double)(b), tl_t = (double)(tol); \
    if (!(fabs(tl_a - tl_b) <= tl_t)) { tl_failures++; fprintf(stderr, \
        "%s:%d: |%s - %s| <= %s failed: %.17g vs %.17g (tol %.3g)\n", __FILE__, __LINE__, #a, #b, #tol, \
        tl_a, tl_b, tl_t); } } while (0)
#define CHECK_STR(a, b) do { const char *tl_a = (a), *tl_b = (b); \
    if (!tl_a || !tl_b || strcmp(tl_a, tl_b) != 0) { tl_failures++; fprintf(stderr, \
        "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, \
        tl_a ? tl_a : "(null)", tl_b ? tl_b : "(null)"); } } while (0)
#define CHECK_CONTAINS(hay, needle) do { const char *tl_h = (hay), *tl_n = (needle); \
    if (!tl_h || !strstr(tl_h, tl_n)) { tl_failures++; fprintf(stderr, \
        "%s:%d: \"%s\" should contain \"%s\"\n", __FILE__, __LINE__, tl_h ? tl_h : "(null)", tl_n); } } while (0)

static inline int tl_main(const struct tl_test *tests, int argc, char **argv)
{
    int ran = 0;
    for (const struct tl_test *t = tests; t->name; t++) {
        int want = argc < 2;
        for (int i = 1; i < argc; i++)
            if (strcmp(argv[i], t->name) == 0) want = 1;
        if (!want) continue;
        int before = tl_failures;
        t->fn();
        ran++;
        printf("%s %s\n", tl_failures == before ? "ok  " : "FAIL", t->name);
    }
    printf("%d test(s), %d failed check(s)\n", ran, tl_failures);
    if (ran == 0) return 1;
    return tl_failures ? 1 : 0;
}

#endif
