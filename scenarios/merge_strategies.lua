-- merge_strategies.lua -- every deletion strategy on the same guest workload.
--
-- One VM per preset, each alone on its own datastore (same capacity and
-- bandwidth), all drawing the very same I/O sequence (workload stream
-- "shared": common random numbers).  A snapshot at 1h, Delete All at 3h;
-- the table at the end compares peak extra space, bytes copied, duration,
-- stun time and helper iterations.
--   snapsim run scenarios/merge_strategies.lua                     all six presets
--   snapsim run scenarios/merge_strategies.lua --set STRATEGY=esx35  just one

scenario { name = "merge strategies", duration = "6h", seed = 2024, sample_every = "2m" }

local presets = { "esx35", "vsphere41", "vsphere6", "offline", "qemu_commit", "qemu_stream" }
if STRATEGY then presets = { STRATEGY } end

host "esx01" {}
for _, p in ipairs(presets) do
  datastore ("ds-" .. p) { capacity = "400GB", bandwidth = "120MB/s" }
  vm ("vm-" .. p) {
    host = "esx01", datastore = "ds-" .. p, memory = "4GB", power = "on",
    disk = { size = "100GB", provisioning = "thick", format = "vmfsSparse" },
    strategy = p,
    workload = { rate = "4MB/s", io_size = "8KB", pattern = "hotspot", hot = { fraction = 0.2, share = 0.8 },
                 stream = "shared" },
  }
end

at("1h", function() for _, p in ipairs(presets) do snapshot("vm-" .. p, "before-patch") end end)
at("2h", function() for _, p in ipairs(presets) do snapshot("vm-" .. p, "after-patch") end end)
at("3h", function() for _, p in ipairs(presets) do delete_all("vm-" .. p) end end)

local rows = {}
on("consolidation_done", function(e) rows[#rows + 1] = e end)
on("consolidation_failed", function(e) rows[#rows + 1] = e end)

local GB = 2^30
at("6h", function()
  print(string.format("%-12s %12s %12s %10s %9s %6s", "strategy", "peak extra", "copied", "duration", "stun", "iter"))
  table.sort(rows, function(a, b) return a.strategy < b.strategy end)
  for _, e in ipairs(rows) do
    print(string.format("%-12s %9.2f GB %9.2f GB %8.1f s %7.2f s %6d", e.strategy, e.peak_extra_bytes / GB,
      e.bytes_copied / GB, e.duration, e.stun_time, e.iterations))
  end
end)
