module poolside/benches/go

go 1.19
