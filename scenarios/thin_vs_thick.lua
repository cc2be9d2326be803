-- thin_vs_thick.lua -- the same guest writes on a thin and on a thick base.
--
-- A thick base has its full size from the start and absorbs a merged delta in place
-- (no extra space); a thin base grows by each 1 MiB block first written, so merging a
-- delta into it grows the base by the blocks it did not hold yet.

scenario { name = "thin vs thick", duration = "4h", seed = 3, sample_every = "5m" }

datastore "ds-thin"  { capacity = "200GB", bandwidth = "100MB/s" }
datastore "ds-thick" { capacity = "200GB", bandwidth = "100MB/s" }
host "esx01" {}
for _, p in ipairs({ "thin", "thick" }) do
  vm ("vm-" .. p) {
    host = "esx01", datastore = "ds-" .. p, memory = "2GB", power = "on",
    disk = { size = "60GB", provisioning = p, format = "vmfsSparse" },
    strategy = "vsphere41",
    workload = { rate = "2MB/s", io_size = "64KB", pattern = "uniform", stream = "same-writes" },
  }
end

at("1h", function() for _, p in ipairs({ "thin", "thick" }) do snapshot("vm-" .. p, "s1") end end)
at("3h", function() for _, p in ipairs({ "thin", "thick" }) do delete_snapshot("vm-" .. p, "s1") end end)
on("consolidation_done", function(e)
  print(string.format("%s: base grew by %.2f GB (peak extra %.2f GB)", e.vm,
    e.peak_extra_bytes / 2^30, e.peak_extra_bytes / 2^30))
end)
at("4h", function()
  for _, p in ipairs({ "thin", "thick" }) do
    local f = vm_state("vm-" .. p).files[1]
    print(string.format("vm-%s: base %s is %.2f GB", p, f.name, f.size / 2^30))
  end
end)
