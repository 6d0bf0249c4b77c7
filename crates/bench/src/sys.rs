//! Process figures from /proc (Linux): peak RSS, CPU time, machine description.

/// A `kB` field of /proc/self/status (`VmHWM:`, `VmRSS:`), in bytes.
pub fn status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|x| x.parse::<u64>().ok()))
        })
        .unwrap_or(0)
        * 1024
}

/// Peak resident set size of this process so far (VmHWM).
pub fn peak_rss() -> u64 {
    status_bytes("VmHWM:")
}

/// Resets VmHWM to the current RSS (`echo 5 > /proc/self/clear_refs`), so that the next
/// [`peak_rss`] is the peak of what runs in between. Returns false where the kernel refuses.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// CPU time (user + system) of this process, all threads, in seconds.
pub fn cpu_seconds() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which may contain spaces) start at the last ')'.
    let Some(rest) = s.rsplit_once(')').map(|(_, r)| r) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    let ticks = |i: usize| f.get(i - 3).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    (ticks(14) + ticks(15)) as f64 / 100.0
}

/// "N cores, MODEL, MEM GiB", and the load average when the run started.
pub fn machine() -> (String, String) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split_once(':')).map(|(_, m)| m.trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|x| x.parse::<u64>().ok()))
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    (format!("{cores} cores, {model}, {:.0} GiB", mem as f64 / 1024.0 / 1024.0), load)
}

/// CPU seconds (user + system) per thread name of this process's live threads.
pub fn cpu_by_thread() -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(rd) = std::fs::read_dir("/proc/self/task") else { return out };
    for e in rd.flatten() {
        let Ok(s) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (s.find('('), s.rfind(')')) else { continue };
        let name = s[open + 1..close].to_string();
        let f: Vec<&str> = s[close + 1..].split_whitespace().collect();
        let ticks = |i: usize| f.get(i - 3).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        *out.entry(name).or_insert(0.0) += (ticks(14) + ticks(15)) as f64 / 100.0;
    }
    out
}

/// `some avg60` of /proc/pressure/cpu: the share of the last minute in which a runnable task
/// waited for a core (other work on the machine slows wall-clock figures down).
pub fn cpu_pressure() -> String {
    std::fs::read_to_string("/proc/pressure/cpu")
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().find_map(|f| f.strip_prefix("avg60=").map(|v| format!("{v} %")))))
        .unwrap_or_else(|| "unknown".into())
}
