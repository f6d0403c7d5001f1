module github.com/gatehouse/gatehouse/bench/dataplane

go 1.26
