// Package bench is the Go side of poolside's benchmark report: the seed tutorial's
// benchmark and the shapes the report compares with Go's sync.Pool, written with the
// standard library alone.
//
// `cargo xtask bench` runs them with `go test -bench . -benchmem -run '^$'` and puts
// each result in the Rust group it is named after: Benchmark_<group>/<row> becomes the
// row <row> of the group <group>. Every buffer is 1 KiB.
//
// Benchmarks whose op is a burst of buffers report buffers/op, and the report divides
// their ns/op, B/op and allocs/op by it, so that they read per buffer as the Rust burst
// groups do. Dividing afterwards keeps the precision that -benchmem's whole numbers
// would lose per buffer.
//
// Where the seed's code is wrong, this follows Go's own advice instead: the pool holds
// *[]byte, not []byte, since putting a slice into an interface allocates its header on
// every Put (staticcheck's SA6002).
package bench

import (
	"runtime"
	"sync"
	"testing"
)

const size = 1024

// sink makes each buffer escape to the heap, as the seed's processBuffer would: a
// buffer that escapes nowhere may live on the stack, and then nothing is allocated.
var sink []byte

// process is the seed's processBuffer: it writes the buffer's first byte.
func process(buf []byte) {
	buf[0] = 1
	sink = buf
}

// newPool is the seed's bufferPool, holding pointers to 1 KiB buffers.
func newPool() *sync.Pool {
	return &sync.Pool{New: func() interface{} {
		buf := make([]byte, 0, size)
		return &buf
	}}
}

// get takes a buffer from pool and appends one byte to it, as the Rust cases push one.
func get(pool *sync.Pool) *[]byte {
	p := pool.Get().(*[]byte)
	*p = append((*p)[:0], 1)
	process(*p)
	return p
}

// put gives a buffer back, emptied.
func put(pool *sync.Pool, p *[]byte) {
	*p = (*p)[:0]
	pool.Put(p)
}

// fresh makes a buffer as Go code without a pool does; Go zeroes it.
func fresh() []byte {
	buf := make([]byte, size)
	process(buf)
	return buf
}

// roundTrips runs the benchmarks of n round trips per op: one buffer taken and given
// back, n times.
func roundTrips(b *testing.B, n int) {
	b.Run("go_new", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for j := 0; j < n; j++ {
				fresh()
			}
		}
	})
	b.Run("go_sync_pool", func(b *testing.B) {
		pool := newPool()
		put(pool, get(pool))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j := 0; j < n; j++ {
				put(pool, get(pool))
			}
		}
	})
}

// The seed's own benchmark: one op takes, processes and gives back 1000 buffers.
func Benchmark_seed_1000x1k(b *testing.B) { roundTrips(b, 1000) }

// One buffer taken and given back per op: the Rust group object_hit_touch_1k.
func Benchmark_object_hit_touch_1k(b *testing.B) { roundTrips(b, 1) }

// burst runs the burst benchmarks of n buffers: each op takes n buffers, holding them
// all, then gives them all back, in the shape of Go's own BenchmarkPoolOverflow.
func burst(b *testing.B, n int) {
	b.Run("go_new", func(b *testing.B) {
		held := make([][]byte, n)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j := range held {
				held[j] = fresh()
			}
			for j := range held {
				held[j] = nil
			}
		}
		b.ReportMetric(float64(n), "buffers/op")
	})
	b.Run("go_sync_pool", func(b *testing.B) {
		pool := newPool()
		held := make([]*[]byte, n)
		// Warm the pool with a burst, so that the timed ones start from its steady state.
		for j := range held {
			held[j] = get(pool)
		}
		for j := range held {
			put(pool, held[j])
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j := range held {
				held[j] = get(pool)
			}
			for j := range held {
				put(pool, held[j])
				held[j] = nil
			}
		}
		b.ReportMetric(float64(n), "buffers/op")
	})
}

func Benchmark_object_burst_100(b *testing.B)  { burst(b, 100) }
func Benchmark_object_burst_128(b *testing.B)  { burst(b, 128) }
func Benchmark_object_burst_1000(b *testing.B) { burst(b, 1000) }

// Starvation, in the shape of Go's own BenchmarkPoolStarvation: two goroutines share one
// pool, and in each round each takes 100 buffers, then gives back 67 and drops 33 (every
// third, as the Rust side detaches). Each
// goroutine runs b.N rounds, as each Rust thread runs every operation: ns/op per buffer
// is then the time per get per goroutine, and B/op and allocs/op count both, as the
// Rust two-thread groups do.
func Benchmark_object_starvation_1k(b *testing.B) {
	const round, dropEvery = 100, 3
	both := func(b *testing.B, work func()) {
		var wg sync.WaitGroup
		b.ResetTimer()
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < b.N; i++ {
					work()
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(round, "buffers/op")
	}
	b.Run("go_new", func(b *testing.B) {
		both(b, func() {
			for j := 0; j < round; j++ {
				fresh()
			}
		})
	})
	b.Run("go_sync_pool", func(b *testing.B) {
		pool := newPool()
		both(b, func() {
			var held [round]*[]byte
			for j := range held {
				held[j] = get(pool)
			}
			for j := range held {
				if j%dropEvery != dropEvery-1 {
					put(pool, held[j])
				}
			}
		})
	})
}

// Rebuilding, in the shape of Go's own BenchmarkPoolExpensiveNew: objects that take about
// a microsecond to make, a round of 8 held at once, and a collection every 100 rounds in
// place of the Rust side's release. The collection moves the pool's objects to its victim
// cache and frees the previous victims, so a pool in steady use makes few anew; its own
// cost is in the time. Reports buffers/op, so each figure reads per get.
func Benchmark_object_rebuild_1us(b *testing.B) {
	const round, roundsPerRelease = 8, 100
	expensive := func() []byte {
		v := make([]byte, size)
		h := uint64(0x9E3779B97F4A7C15)
		for i := 0; i < 700; i++ { // the Rust side's STEPS
			h = ((h ^ uint64(i)) * 0x0100000001B3)
			h = h<<7 | h>>57
			v[(i*7)%size] = byte(h)
		}
		sink = v
		return v[:0]
	}
	b.Run("go_new", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for j := 0; j < round; j++ {
				expensive()
			}
			if (i+1)%roundsPerRelease == 0 {
				runtime.GC()
			}
		}
		b.ReportMetric(round, "buffers/op")
	})
	b.Run("go_sync_pool", func(b *testing.B) {
		pool := &sync.Pool{New: func() interface{} {
			buf := expensive()
			return &buf
		}}
		var held [round]*[]byte
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for j := range held {
				held[j] = pool.Get().(*[]byte)
			}
			for j := range held {
				pool.Put(held[j])
			}
			if (i+1)%roundsPerRelease == 0 {
				runtime.GC()
			}
		}
		b.ReportMetric(round, "buffers/op")
	})
}
