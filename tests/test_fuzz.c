/*
 * test_fuzz.c -- the parsers under random damage: every shipped scenario,
 * truncated at random points and with random bytes changed, inserted or
 * deleted, must load or fail with a message -- never crash, never leak
 * (the ASan pass runs this too) -- and every failure must name the file.
 * Also random strings through the unit parsers.  Fixed seeds: the same
 * cases every run.
 */
#include <dirent.h>

#include "simtest.h"
#include "snapsim/units.h"

static uint64_t rnd(uint64_t *s)   /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    b[*n] = 0;
    fclose(f);
    return b;
}

static const char alphabet[] = "{}()[]\"'=,.;:-+*/^#%0123456789abcdefghijklmnopqrstuvwxyzGBMKiTsmhdw \n\t_";

static void mutate(char *buf, size_t *n, size_t cap, uint64_t *s)
{
    int edits = 1 + (int)(rnd(s) % 4);
    for (int e = 0; e < edits && *n > 0; e++) {
        size_t at = rnd(s) % *n;
        switch (rnd(s) % 4) {
        case 0: buf[at] = alphabet[rnd(s) % (sizeof alphabet - 1)]; break;          /* change */
        case 1: memmove(buf + at, buf + at + 1, *n - at); (*n)--; break;               /* delete */
        case 2:                                                                         /* insert */
            if (*n + 1 < cap) { memmove(buf + at + 1, buf + at, *n - at + 1); buf[at] = alphabet[rnd(s) % (sizeof alphabet - 1)]; (*n)++; }
            break;
        case 3: *n = at; break;                                                         /* truncate */
        }
        buf[*n] = 0;
    }
}

static void t_fuzz_scenarios(void)
{
    DIR *dir = opendir(SNAPSIM_SOURCE_DIR "/scenarios");
    CHECK(dir != NULL);
    if (!dir) return;
    struct dirent *de;
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    int files = 0, loaded = 0, failed = 0;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".lua") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/scenarios/%s", SNAPSIM_SOURCE_DIR, de->d_name);
        size_t n;
        char *orig = slurp(path, &n);
        if (!orig) continue;
        files++;
        size_t cap = n + 64;
        char *buf = malloc(cap + 1);
        for (int iter = 0; iter < 400; iter++) {
            memcpy(buf, orig, n + 1);
            size_t m = n;
            mutate(buf, &m, cap, &seed);
            ss_options o;
            memset(&o, 0, sizeof o);
            o.path = de->d_name;
            o.source = buf;
            o.out = st_null();
            ss_sim *sim = NULL;
            ss_error err = { 0, "" };
            if (ss_sim_load(&sim, &o, &err) == SS_OK) {
                loaded++;
                ss_sim_free(sim);
            } else {
                failed++;
                /* Every message names the file (syntax errors as "name:line:"). */
                if (!strstr(err.msg, de->d_name)) {
                    fprintf(stderr, "message without the file name: %s\n--- mutant of %s ---\n%s\n---\n", err.msg, de->d_name, buf);
                    tl_failures++;
                }
            }
        }
        free(buf);
        free(orig);
    }
    closedir(dir);
    printf("  fuzzed %d scenario files: %d mutants loaded, %d rejected\n", files, loaded, failed);
    CHECK(files >= 5);
    CHECK(failed > 0);
}

static void t_fuzz_units(void)
{
    uint64_t seed = 12345;
    char s[24], why[200];
    for (int i = 0; i < 200000; i++) {
        int len = (int)(rnd(&seed) % 12);
        for (int k = 0; k < len; k++) s[k] = "0123456789.- BKMGTiBbs/hmdwun"[rnd(&seed) % 29];
        s[len] = 0;
        uint64_t b;
        ss_time t;
        double r;
        /* Either a value or a reason, never both missing. */
        why[0] = 0;
        if (ss_parse_size(s, &b, why, sizeof why) != SS_OK) CHECK(why[0] != 0);
        why[0] = 0;
        if (ss_parse_duration(s, &t, why, sizeof why) != SS_OK) CHECK(why[0] != 0);
        else CHECK(t >= 0);
        why[0] = 0;
        if (ss_parse_rate(s, &r, why, sizeof why) != SS_OK) CHECK(why[0] != 0);
        else CHECK(r >= 0);
    }
}

static const struct tl_test tl_tests[] = { TL(t_fuzz_scenarios), TL(t_fuzz_units), { 0, 0 } };

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
