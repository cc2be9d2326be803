-- clock_resync.lua -- why a guest clock jumps after a boot, a resume or a revert, and why
-- it is only ever as right as the host it follows (VMware Tools docs GUID-C0D8326A: the
-- one-off syncs; KB 1189: the .vmx options that turn them off; open-vm-tools
-- services/plugins/timeSync/timeSync.c: the periodic sync).
--
-- The host "esx-wrong" is 2 minutes fast and gains 50 ppm more (0.18 s an hour). Its VMs come
-- in pairs, one per trigger, with the one-off resync on and off (clock.resync = {...}):
--   boot-*    powered off for an hour   : the guest clock stands still while the VM is off
--   resume-*  suspended for 30 minutes  : the same while suspended
--   revert-*  reverted to a memory snapshot taken 100 minutes earlier: the memory image
--             brings back the guest time of the snapshot moment
-- With the resync on, the guest is stepped to the HOST's time: 2 minutes fast, like the host.
-- (One-off syncs step forward only: these guests are behind after standing still. A guest
-- that is ahead of its host is left ahead, except by the boot sync on hosts that allow it.)
-- With it off, it keeps the time it lost. boot-ntp, on an NTP-disciplined host, shows that
-- the same resync gives the right time when the host has it.
-- krb-*: a guest whose clock gains 1500 ppm (5.4 s an hour) and nothing resyncs it: after
-- 33 h it is more than 5 minutes ahead, Kerberos' default skew limit (300 s): logins fail.
-- Older Tools (sync_backward = false) never pull a fast clock back; newer ones slew it.
--
-- Run: build/snapsim run scenarios/clock_resync.lua -q   (the summary reports, per VM, the
-- steps by cause, the largest |offset| and the time spent beyond the 300 s skew limit).

scenario { name = "clock resync", duration = "2d", seed = 1, sample_every = "10m" }

datastore "ds1" { capacity = "500GB", bandwidth = "200MB/s" }
host "esx-wrong" { datastores = { "ds1" }, clock = { offset = "2m", drift_ppm = 50 } }
host "esx-ntp" { datastores = { "ds1" }, clock = { ntp = true } }

local GUEST_PPM = -30   -- a slightly slow guest oscillator, for realism

local function guest(name, host, clock)
  clock.drift_ppm = clock.drift_ppm or GUEST_PPM
  vm (name) {
    host = host, datastore = "ds1", memory = "2GB", power = "on",
    disk = { size = "20GB", provisioning = "thin", format = "ideal" },
    clock = clock,
  }
end

guest("boot-sync",     "esx-wrong", {})
guest("boot-nosync",   "esx-wrong", { resync = { boot = false } })
guest("boot-ntp",      "esx-ntp",   {})
guest("resume-sync",   "esx-wrong", {})
guest("resume-nosync", "esx-wrong", { resync = { resume = false } })
guest("revert-sync",   "esx-wrong", {})
guest("revert-nosync", "esx-wrong", { resync = { revert = false } })
guest("krb-drift",     "esx-wrong", { drift_ppm = 1500 })
guest("krb-oldtools",  "esx-wrong", { drift_ppm = 1500, tools_sync = true, sync_backward = false })
guest("krb-newtools",  "esx-wrong", { drift_ppm = 1500, tools_sync = true, sync_backward = true })

local ORDER = { "boot-sync", "boot-nosync", "boot-ntp", "resume-sync", "resume-nosync",
                "revert-sync", "revert-nosync", "krb-drift", "krb-oldtools", "krb-newtools" }
local SKEW = 300

local function off(v) return vm_state(v).guest_offset end
local function host_off(v) return vm_state(v).host_offset end
local function say(fmt, ...) print(string.format(fmt, ...)) end

on("clock_step", function(e)
  say("  clock_step %-14s %+10.3f s  (%s resync: the guest now reads the host's time, %+.3f s)",
      e.vm, e.value, e.detail, off(e.vm))
end)

at(0, function()
  say("Host esx-wrong is %+.0f s off true time and gains 0.18 s/h; esx-ntp is exact.", host_off("boot-sync"))
  say("Every VM starts with its host's time: the guests on esx-wrong are 2 minutes fast already.")
end)

at("20m", function()
  snapshot("revert-sync", "before-patch", { memory = true })
  snapshot("revert-nosync", "before-patch", { memory = true })
  say("revert-*: memory snapshot 'before-patch'; the guest clock reads %+.3f s.", off("revert-sync"))
end)

at("30m", function()
  for _, v in ipairs { "boot-sync", "boot-nosync", "boot-ntp" } do power_off(v) end
  say("boot-*: powered off for an hour; their clocks stand still meanwhile.")
end)

at("40m", function()
  suspend("resume-sync"); suspend("resume-nosync")
  say("resume-*: suspended for 30 minutes; their clocks stand still too.")
end)

at("1h10m", function()
  say("resume-*: resumed. Before any resync they are %+.1f s off.", off("resume-nosync"))
  resume("resume-sync"); resume("resume-nosync")
  say("resume-sync followed the host (%+.1f s); resume-nosync stays 30 minutes behind (%+.1f s).",
      off("resume-sync"), off("resume-nosync"))
end)

at("1h30m", function()
  say("boot-*: powered on. Before the boot sync they are about an hour behind.")
  for _, v in ipairs { "boot-sync", "boot-nosync", "boot-ntp" } do power_on(v) end
  say("boot-sync took esx-wrong's time (%+.1f s, wrong by the host's error); boot-ntp took the",
      off("boot-sync"))
  say("right time (%+.3f s); boot-nosync keeps the hour it lost (%+.1f s).", off("boot-ntp"), off("boot-nosync"))
end)

at("2h", function()
  say("revert-*: revert to 'before-patch' (taken 100 minutes ago): the memory image brings back")
  say("the guest time of 20m, i.e. 100 minutes in the past.")
  revert("revert-sync", "before-patch"); revert("revert-nosync", "before-patch")
  say("revert-sync was stepped to the host (%+.1f s); revert-nosync lives 100 minutes in the past (%+.1f s).",
      off("revert-sync"), off("revert-nosync"))
end)

local krb_told = false
every("1h", function()
  if not krb_told and math.abs(off("krb-drift")) > SKEW then
    krb_told = true
    say("krb-drift is now %+.1f s off (> %d s): Kerberos tickets are refused (KRB_AP_ERR_SKEW).",
        off("krb-drift"), SKEW)
    say("krb-oldtools is no better (%+.1f s): old Tools never step a fast clock back;", off("krb-oldtools"))
    say("krb-newtools is slewed to the host, %+.2f s (the host's own 2 minutes included).", off("krb-newtools"))
  end
end)

at("2d", function()
  say("")
  say("%-14s %-8s %14s %12s   %s", "vm", "host", "guest offset", "vs host", "within the 300 s skew?")
  for _, v in ipairs(ORDER) do
    local o, h = off(v), host_off(v)
    say("%-14s %-8s %+12.3f s %+10.3f s   %s", v, v == "boot-ntp" and "ntp" or "wrong", o, o - h,
        math.abs(o) <= SKEW and "yes" or "NO")
  end
  say("The guest follows the host, right or wrong: a resync fixes the guest only as well as the")
  say("host keeps time. Without it, the time lost while stopped (or restored by a revert) stays.")
end)
