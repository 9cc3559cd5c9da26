package bench

import (
	"os"
	"runtime"
	"strings"
)

// Machine describes where a benchmark ran, for its report.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Model      string `json:"model,omitempty"`   // from /proc/cpuinfo; empty elsewhere
	LoadAvg    string `json:"loadavg,omitempty"` // 1, 5 and 15 minute load averages; empty where unknown
}

// ThisMachine describes this machine now. The load average says whether
// other processes were busy when the benchmark started.
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), LoadAvg: LoadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// LoadAvg returns the 1, 5 and 15 minute load averages ("0.19 2.02 2.08"),
// or "" where the platform does not say.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
