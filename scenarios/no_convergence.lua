-- no_convergence.lua -- a guest writing faster than a snapshot merge can copy.
--
-- Four copies of the same VM, each alone on a datastore of 100 MB/s, all drawing the
-- very same I/O sequence (workload stream "heavy-writer": common random numbers): a
-- guest appending 40 MB/s, sequentially (a log, a database load), so every write is
-- new data.  A snapshot at 1 min, its deletion at 2 min, while the guest runs.
--
-- Iterative helper (esx35, vsphere41; Broadcom KB 337175, KB 2039754): a helper delta takes the
-- guest's writes while the old delta is merged.  A merge of a bytes costs 2a of I/O;
-- the guest keeps 40 MB/s of the 100, the copy gets 60, so merging a takes 2a/60 s,
-- during which the guest writes 40 * 2a/60 = 4/3 a into the next helper.  Each helper
-- is a third bigger than the one before: its merge is never estimated at 12 s or
-- less, and the helper loop cannot converge.  After 10 helpers VMware forces a
-- stunned merge of the last one (force_sync = true, the default): the VM is paused
-- for minutes.  With force_sync = false the deletion fails with "maximum consolidate
-- retries was exceeded" and the VM is left running on its helper, which keeps growing.
--
-- Mirror (vsphere6): one pass.  Mirrored, each guest write costs two writes: the
-- guest wants 80 of the 100 MB/s, max-min sharing gives it 50 and the copy 50.  The
-- merge ends (it copies only what was in the delta when it started), the stun at the
-- switch-over is 0.1 s, but the guest was throttled to 25 MB/s meanwhile.
--
--   snapsim run scenarios/no_convergence.lua -q

scenario { name = "no convergence", duration = "2h", seed = 11, sample_every = "1m" }

local RATE = 40   -- MB/s the guest writes

local cases = {
  { vm = "esx35",        strategy = "esx35",     force_sync = true },
  { vm = "vsphere41",    strategy = "vsphere41", force_sync = true },
  { vm = "vsphere41-nf", strategy = "vsphere41", force_sync = false },
  { vm = "vsphere6",     strategy = "vsphere6",  force_sync = true },
}

host "esx01" {}
for _, c in ipairs(cases) do
  datastore ("ds-" .. c.vm) { capacity = "1TB", bandwidth = "100MB/s" }
  vm (c.vm) {
    host = "esx01", datastore = "ds-" .. c.vm, memory = "4GB", power = "on",
    disk = { size = "300GB", provisioning = "thick", format = "vmfsSparse" },
    strategy = c.strategy,
    consolidation = { force_sync = c.force_sync },
    workload = { rate = RATE .. "MB/s", io_size = "1MB", arrivals = "poisson", pattern = "sequential",
                 stream = "heavy-writer" },
  }
end

at("1m", function() for _, c in ipairs(cases) do snapshot(c.vm, "before-load") end end)

local started, steps, result = {}, {}, {}
on("consolidation_started", function(e)
  started[e.vm] = { t = e.t, written = vm_state(e.vm).bytes_written }
  steps[e.vm] = {}
end)
on("consolidation_step", function(e) table.insert(steps[e.vm], e.bytes) end)
local function ended(e)
  local s = vm_state(e.vm)
  result[e.vm] = { e = e, written = s.bytes_written - started[e.vm].written, top = s.files[#s.files] }
end
on("consolidation_done", ended)
on("consolidation_failed", ended)

at("2m", function() for _, c in ipairs(cases) do delete_snapshot(c.vm, "before-load") end end)

local GB, MB = 2^30, 2^20
local function sizes(list)
  local out = {}
  for i, b in ipairs(list) do out[i] = string.format("%.1f", b / GB) end
  return table.concat(out, ", ")
end

at("2h", function()
  print(string.format("%-13s %-9s %6s %10s %10s %10s %11s %10s", "vm", "result", "iter", "duration", "stun",
    "copied", "peak extra", "guest MB/s"))
  print("(guest MB/s: what the guest wrote per second over the whole deletion, stuns included)")
  for _, c in ipairs(cases) do
    local r = result[c.vm]
    if r then
      local e = r.e
      local ok = e.kind == "consolidation_done" and "done" or "FAILED"
      print(string.format("%-13s %-9s %6d %8.0f s %8.1f s %7.1f GB %8.1f GB %10.1f", c.vm, ok, e.iterations,
        e.duration, e.stun_time, e.bytes_copied / GB, e.peak_extra_bytes / GB, r.written / MB / e.duration))
    else
      print(string.format("%-13s still running after %.0f s", c.vm, now() - started[c.vm].t))
    end
  end
  print("")
  for _, c in ipairs(cases) do
    local r = result[c.vm]
    if r then
      local e = r.e
      print(string.format("%s (%s):", c.vm, c.strategy))
      print(string.format("  merged, in GB: %s", sizes(steps[c.vm])))
      if e.iterations > 0 then
        print(string.format("  %d helpers, each bigger than the one before: the guest refilled a helper", e.iterations))
        print("  faster than the previous one was merged, so none was ever small enough to merge in 12 s.")
        if c.strategy == "esx35" then
          print(string.format("  ESX 3.5 removes no file before the end: every helper was still there, peak extra %.1f GB.",
            e.peak_extra_bytes / GB))
        end
        if e.kind == "consolidation_done" then
          print(string.format("  After the last helper the merge was forced under stun: the VM was paused %.0f s.",
            e.stun_time))
        else
          print(string.format("  It gave up: \"%s\"; the VM runs on its helper %s,", e.detail, r.top.name))
          print(string.format("  which held %.1f GB at the failure and keeps growing.", r.top.allocated / GB))
        end
      else
        print("  One mirrored pass: it converges, since it copies only what the delta held when it started;")
        print(string.format("  the VM was stunned %.1f s at the switch-over, but its writes, doubled by the mirror,",
          e.stun_time))
        print(string.format("  were throttled to %.1f MB/s (it wants %d) for the %.0f s of the merge.",
          r.written / MB / e.duration, RATE, e.duration))
      end
    end
  end
end)
