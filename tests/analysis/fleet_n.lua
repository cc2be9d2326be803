-- fleet_n.lua -- test scenario for the summary's size (test_quiet.py): N VMs (global N) on two
-- datastores, each snapshotted at 10m and its snapshot deleted at 30m.
local n = N or 5
scenario { name = "fleet of " .. n, duration = "1h", seed = 11, sample_every = "30m" }
datastore "dsa" { capacity = "20TB", bandwidth = "500MB/s" }
datastore "dsb" { capacity = "20TB", bandwidth = "500MB/s" }
host "esx01" { datastores = { "dsa", "dsb" } }
for i = 1, n do
  vm ("vm" .. i) { host = "esx01", datastore = (i % 2 == 0) and "dsa" or "dsb", memory = "1GB", power = "on",
    disk = { size = "10GB", provisioning = "thin", format = "vmfsSparse" }, strategy = "vsphere41",
    workload = { rate = "64KB/s", io_size = "64KB", pattern = "uniform", stream = "w" .. i } }
end
at("10m", function() for i = 1, n do snapshot("vm" .. i, "s1") end end)
at("30m", function() for i = 1, n do delete_snapshot("vm" .. i, "s1") end end)
