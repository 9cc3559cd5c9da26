package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cove-network/cove/bundle"
	"github.com/cove-network/cove/internal/bench"
)

func main() {
	b, _ := bundle.Build("examples/hello.ts")
	for i := 0; i < 3; i++ {
		c0, _ := bench.ProcessCPU()
		t0 := time.Now()
		c, err := bench.SandboxCost(context.Background(), b.Code, "http://127.0.0.1/hello?name=Ada", 2*time.Second)
		c1, _ := bench.ProcessCPU()
		fmt.Println(c, err, "cpu/run", (c1-c0)/time.Duration(c.N+1), time.Since(t0), bench.LoadAvg())
	}
}
