/*
 * limits.c -- the bounds of include/snapsim/limits.h, said in words for
 * the command line's help.
 */
#include "snapsim/limits.h"

void ss_limits_print(FILE *f)
{
    fprintf(f,
            "Limits (a scenario past one is an error naming file:line, never a hang):\n"
            "  Lua instructions per entry (top level, each callback)  %llu  (scenario{lua_limit=}, --lua-limit)\n"
            "  shortest every() period                               1ms\n"
            "  shortest tick                                         1ms\n"
            "  shortest sample_every                                 1s\n"
            "  engine events in one simulated second                 %llu\n"
            "  guest I/Os per VM and simulated second                %.0e  (workloads at their peak, write())\n"
            "  times                                                 2^63 ns (about 292 years)\n",
            (unsigned long long)SS_LUA_LIMIT_DEFAULT, (unsigned long long)SS_MAX_EVENTS_PER_S, SS_MAX_IOPS);
}
