-- fill.lua -- test scenario for the planner figures (test_planner.py): a thin 20 GB disk on a
-- 12 GB datastore fills it and stalls; a later snapshot fails; a thick VM on a big datastore never fills.
scenario { name = "fill", duration = "3h", seed = 7, sample_every = "1m" }
datastore "small" { capacity = "12GB", bandwidth = "100MB/s" }
datastore "big" { capacity = "100GB", bandwidth = "100MB/s" }
host "esx01" { datastores = { "small", "big" } }
vm "a" { host = "esx01", datastore = "small", memory = "1GB", power = "on",
  disk = { size = "20GB", provisioning = "thin", format = "vmfsSparse" }, strategy = "vsphere41",
  workload = { rate = "10MB/s", io_size = "1MB", pattern = "uniform", stream = "a" } }
vm "b" { host = "esx01", datastore = "big", memory = "1GB", power = "on",
  disk = { size = "30GB", provisioning = "thick", format = "vmfsSparse" }, strategy = "vsphere41",
  workload = { rate = "1MB/s", io_size = "64KB", pattern = "uniform", stream = "b" } }
at("10m", function() snapshot("a", "s1"); snapshot("b", "s1") end)
at("2h", function() snapshot("a", "s2") end)
